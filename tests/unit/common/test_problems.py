"""Problem codes are written once (common/problems.py CODES): every code the source raises is
there, and the table of docs/api.md lists exactly those codes with their statuses."""

from __future__ import annotations

import re
from pathlib import Path

from opentill.common.problems import CODES, STATUS_BY_CODE, TITLES, Problem, problem_document

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "src" / "opentill"
# A code given as the first argument of whatever builds a problem or a refusal.
RAISED = re.compile(
    r"\b(?:Problem|problem_document|ClosingError|CashMoveRefused|_api_or_default\(request,)"
    r"\(?\s*\"([a-z_]+)\""
)


def documented() -> dict[str, int]:
    """code → status from the problem table of docs/api.md."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = text[text.index("| code | status | meaning |") :].split("\n\n", 1)[0]
    found: dict[str, int] = {}
    for row in table.splitlines()[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        for code in re.findall(r"`([a-z_]+)`", cells[0]):
            found[code] = int(cells[1])
    return found


def raised_codes() -> set[str]:
    codes: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if "migrations" not in path.parts:
            codes |= set(RAISED.findall(path.read_text(encoding="utf-8")))
    return codes


def test_every_code_the_source_raises_has_a_status_and_a_title():
    raised = raised_codes()
    assert {"not_found", "keep_not_chosen", "immutable", "service_unavailable"} <= raised
    assert raised - set(CODES) == set()


def test_the_documented_table_is_the_code_table():
    assert documented() == {code: status for code, (status, _) in CODES.items()}


def test_status_and_title_come_from_the_one_table():
    assert STATUS_BY_CODE["keep_not_chosen"] == 422
    assert TITLES["immutable"] == "A closed record cannot be changed"
    assert Problem("held_orders", "x").status == 409
    body = problem_document("too_large", "too big")
    assert (body["status"], body["title"], body["type"]) == (
        413,
        "The request body is too large",
        "https://opentill.org/problems/too-large",
    )
