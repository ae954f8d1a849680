"""`python -m services.scoring rate|load-default-model` (see services/scoring/cli.py)."""

from services.scoring.cli import main

raise SystemExit(main())
