"""The company, its taxes and fiscal positions as the pure pricing module takes them."""

from __future__ import annotations

from collections.abc import Iterable

from opentill.catalog.models import FiscalPositionAccount, Tax
from opentill.catalog.selectors import position_tax_maps
from opentill.orders.pricing import Conventions, FiscalMap, TaxSpec
from opentill.stores.models import Company


def conventions_of(company: Company) -> Conventions:
    """The rounding conventions ``company`` chose (see :mod:`opentill.orders.pricing`), with
    its currency's decimals."""
    return Conventions(
        tax_rounding=company.tax_rounding,
        discount_rounding=company.discount_rounding,
        cash_rounding_step=company.cash_rounding,
        cash_rounding_mode=company.cash_rounding_mode,
        cash_rounding_scope=company.cash_rounding_scope,
        places=company.places,
    )


def tax_spec(tax: Tax) -> TaxSpec:
    """A catalog tax as pricing takes it."""
    return TaxSpec(
        id=tax.pk,
        kind=tax.kind,
        rate=tax.rate,
        amount=tax.amount,
        price_include=tax.price_include,
        include_base_amount=tax.include_base_amount,
        sequence=tax.sequence,
    )


def fiscal_maps(position_ids: Iterable[int]) -> dict[int, FiscalMap]:
    """The fiscal positions as pricing takes them, by id (two queries)."""
    ids = set(position_ids)
    taxes = position_tax_maps(position_ids=ids)
    accounts: dict[int, dict[int, int]] = {pk: {} for pk in ids}
    for position_id, src, dest in FiscalPositionAccount.objects.filter(
        position_id__in=ids
    ).values_list("position_id", "account_src_id", "account_dest_id"):
        accounts[position_id][src] = dest
    return {
        pk: FiscalMap(
            taxes={src: tuple(dest) for src, dest in taxes[pk].items()}, accounts=accounts[pk]
        )
        for pk in ids
    }
