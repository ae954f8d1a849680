"""ORM tables of the officers service, one module per subdomain, all on `base.Base`'s metadata."""
