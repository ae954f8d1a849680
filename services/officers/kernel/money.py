"""Money of the officers rules: `Decimal` yuan, exact; `FEN` is the quantum a rounded amount
is given in."""

from __future__ import annotations

from decimal import Decimal

FEN = Decimal("0.01")
ZERO = Decimal(0)
