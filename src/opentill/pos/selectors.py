"""Reads of profiles and sessions: what the API and back office show."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, QuerySet, Sum

from opentill.accounting.models import FinancialTransaction, Reconciliation
from opentill.common.problems import Problem
from opentill.identity.roles import is_accountant, is_manager
from opentill.money import MONEY_PLACES, ZERO, currency_places
from opentill.pos.access import profile_may_use, session_may_read
from opentill.pos.models import PaymentMethod, PosProfile, Session
from opentill.stores.access import visible_store_ids


def session_get(session_id: int, *, lock: bool = False) -> Session:
    """The session with its profile, store, company and cashier: 404 not_found when there
    is none. ``lock`` takes its row lock (SELECT … FOR UPDATE), inside a transaction."""
    sessions = Session.objects.select_related("profile__store__company", "user")
    if lock:
        sessions = sessions.select_for_update(of=("self",))
    session = sessions.filter(pk=session_id).first()
    if session is None:
        raise Problem("not_found", f"Session {session_id} does not exist.")
    return session


def session_places(session_id: int) -> int:
    """The decimals of a session's amounts (its company's currency's; two when there is no
    such session: whoever asks finds that out with :func:`session_get`)."""
    currency = (
        Session.objects.filter(pk=session_id)
        .values_list("profile__store__company__currency", flat=True)
        .first()
    )
    return currency_places(currency) if currency else MONEY_PLACES


def session_for_read(session_id: int, user: Any) -> Session:
    """The session ``user`` may read (its cashier, its store's managers, accountants):
    404 not_found, 403 not_session_owner otherwise."""
    session = session_get(session_id)
    if not session_may_read(session, user):
        raise Problem("not_session_owner", f"Session {session.name} belongs to another user.")
    return session


def profile_for_use(profile_id: int, user: Any) -> PosProfile:
    """The active profile ``user`` may use: 404 not_found, 403 forbidden otherwise."""
    profile = (
        PosProfile.objects.select_related("store__company")
        .filter(pk=profile_id, active=True)
        .first()
    )
    if profile is None:
        raise Problem("not_found", f"Profile {profile_id} does not exist.")
    if not profile_may_use(profile, user):
        raise Problem("forbidden", f"You may not use the profile {profile.name!r}.")
    return profile


def profiles_for_user(*, user: Any) -> list[PosProfile]:
    """Active profiles the user may use, with methods and current session preloaded."""
    profiles = (
        PosProfile.objects.filter(active=True)
        .select_related("store__company")
        .prefetch_related("payment_methods", "allowed_users")
        .order_by("name")
    )
    return [p for p in profiles if profile_may_use(p, user)]


def current_sessions(*, profile_ids: Iterable[int]) -> dict[int, Session]:
    """The active (non-rescue) session of each profile that has one."""
    sessions = (
        Session.objects.filter(profile_id__in=list(profile_ids), rescue=False)
        .exclude(state=Session.State.CLOSED)
        .select_related("user")
    )
    return {s.profile_id: s for s in sessions}


def session_list(
    *, user: Any, profile: int | None = None, state: str | None = None, username: str | None = None
) -> QuerySet[Session]:
    """Sessions visible to ``user``: a cashier's own, every session for managers and accountants."""
    qs = Session.objects.select_related("profile__store", "user").order_by("-id")
    if not is_accountant(user):
        if is_manager(user):
            stores = visible_store_ids(user)
            if stores is not None:
                qs = qs.filter(Q(profile__store_id__in=stores) | Q(user=user))
        else:
            qs = qs.filter(user=user)
    if profile is not None:
        qs = qs.filter(profile_id=profile)
    if state:
        qs = qs.filter(state=state)
    if username:
        qs = qs.filter(user__username=username)
    return qs


def session_expected_amounts(*, session: Session) -> dict[int, Decimal]:
    """Expected amount of each payment method of the session's profile.

    It is the balance of the method's financial account as this session sees it: the end
    balance of the account's last reconciliation (the cash kept at the last close) plus the
    pending transactions of this session (payments, refunds, drops, deposits, opening
    difference). Pending transactions of the profile's rescue session are left out, and a
    rescue session sees only its own. Two small aggregate queries, whatever the size.
    """
    methods = list(session.profile.payment_methods.all())
    account_ids = [m.financial_account_id for m in methods]
    start = {account_id: ZERO for account_id in account_ids}
    if not session.rescue:
        start.update(last_reconciled_balances(account_ids=account_ids))
    pending = FinancialTransaction.objects.filter(
        account_id__in=account_ids, reconciliation__isnull=True
    )
    if session.rescue:
        pending = pending.filter(session=session)
    else:
        pending = pending.filter(Q(session=session) | Q(session__isnull=True))
    sums = dict(
        pending.values("account_id").annotate(s=Sum("amount")).values_list("account_id", "s")
    )
    return {
        m.pk: start[m.financial_account_id] + (sums.get(m.financial_account_id) or ZERO)
        for m in methods
    }


def session_expected_opening(*, session: Session) -> list[tuple[PaymentMethod, Decimal]]:
    """What the opening count of a session in ``opening_control`` is compared with: every
    countable method and the float kept at the last close (0.00 when none was kept)."""
    expected = session_expected_amounts(session=session)
    return [(m, expected[m.pk]) for m in session.profile.payment_methods.all() if m.countable]


def last_reconciled_balances(*, account_ids: Iterable[int]) -> dict[int, Decimal]:
    """End balance of each account's latest reconciliation."""
    ids = list(account_ids)
    latest = (
        Reconciliation.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(last=Max("id"))
    )
    rows = Reconciliation.objects.filter(pk__in=[row["last"] for row in latest]).values_list(
        "account_id", "end_balance"
    )
    return dict(rows)
