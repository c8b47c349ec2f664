"""The bench's Django-side set-up, run in a subprocess on the bench's database.

``python -m opentill.bench.fill tills N``: N tills (``BENCH1`` … ``BENCHN``, named "Bench till
i") spread over 5 stores ("Bench store 1" … "Bench store 5"), each with its own cash drawer
and card clearing account and the demo's Cash and Card methods, no opening control; like
the demo's Till 2. Prints the profile ids as JSON.

``python -m opentill.bench.fill history N FIRST_DAY DAYS``: see :mod:`opentill.bench.history`.

``python -m opentill.bench.fill dashboard 0 FIRST_DAY LAST_DAY``: the seconds the back
office's dashboard figures of those days take (all stores), in process.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from decimal import Decimal
from typing import Any

from opentill.bench.tills import STORES, TILL_PREFIX


def create_tills(count: int) -> list[int]:
    """``count`` tills in :data:`STORES` stores, the demo's Till 2 as the model."""
    from django.db import transaction

    from opentill.accounting.models import FinancialAccount
    from opentill.pos.models import Denomination, PaymentMethod, PosProfile
    from opentill.stores.models import Store

    model = PosProfile.objects.get(code="TILL2")
    cash = PaymentMethod.objects.get(profile=model, name="Cash")
    card = PaymentMethod.objects.get(profile=model, name="Card")
    company = model.store.company
    ids = []
    with transaction.atomic():
        stores = [
            Store.objects.get_or_create(company=company, name=f"Bench store {i}")[0]
            for i in range(1, STORES + 1)
        ]
        for number in range(1, count + 1):
            store = stores[(number - 1) % STORES]
            profile = PosProfile.objects.create(
                code=f"BENCH{number}",
                name=f"{TILL_PREFIX} {number}",
                store=store,
                opening_control=False,
                blind_close=False,
                max_difference=model.max_difference,
                posting_mode=model.posting_mode,
                stock_mode=model.stock_mode,
                active=True,
            )
            profile.fiscal_positions.set(model.fiscal_positions.all())
            accounts = {
                kind: FinancialAccount.objects.create(
                    name=f"{profile.name} {label}",
                    kind=kind,
                    ledger_account_id=method.financial_account.ledger_account_id,
                    store=store,
                )
                for kind, label, method in (
                    ("drawer", "cash drawer", cash),
                    ("clearing", "card clearing", card),
                )
            }
            for method, kind in ((cash, "drawer"), (card, "clearing")):
                copy = PaymentMethod.objects.get(pk=method.pk)
                copy.pk = None
                copy.profile = profile
                copy.financial_account = accounts[kind]
                copy.save()
                Denomination.objects.bulk_create(
                    Denomination(payment_method=copy, value=d.value, kind=d.kind)
                    for d in method.denominations.all()
                )
            ids.append(profile.pk)
    return ids


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentill.settings")
    import django

    django.setup()
    what, count = argv[0], int(argv[1])
    result: Any
    if what == "tills":
        result = create_tills(count)
    elif what == "history":
        from opentill.bench.history import fill_history

        result = fill_history(count, *argv[2:])
    elif what == "dashboard":
        from opentill.reports.dashboard import dashboard

        started = time.perf_counter()
        panels = dashboard(start=date.fromisoformat(argv[2]), end=date.fromisoformat(argv[3]))
        result = {"seconds": time.perf_counter() - started, "panels": len(panels)}
    else:
        raise SystemExit(f"unknown set-up {what!r}")
    print(json.dumps(result, default=lambda v: str(v) if isinstance(v, Decimal) else v))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
