"""The company's pricing conventions as the pure pricing module takes them."""

from __future__ import annotations

from opentill.orders.pricing import Conventions
from opentill.stores.models import Company


def conventions_of(company: Company) -> Conventions:
    """The rounding conventions ``company`` chose (see :mod:`opentill.orders.pricing`)."""
    return Conventions(
        tax_rounding="per_line"
        if company.tax_rounding == Company.TaxRounding.PER_LINE
        else "global",
        cash_rounding_step=company.cash_rounding,
    )
