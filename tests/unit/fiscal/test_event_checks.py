"""What the verifier checks in the technical records and training tickets
(``fiscal/event_checks.py``), with records written by hand."""

from __future__ import annotations

from opentill.fiscal.event_checks import check

TRAINING = {
    "sales": {"net": "12.33", "tax": "1.97", "total": "14.30"},
    "refunds": {"net": "-2.08", "tax": "-0.12", "total": "-2.20"},
    "total": "12.10",
}


def test_a_training_ticket_whose_figures_add_up_passes():
    assert check("training", TRAINING) is None


def test_a_training_ticket_whose_sides_do_not_make_its_total_is_named():
    wrong = {**TRAINING, "total": "14.30"}
    assert check("training", wrong) == "its sales and refunds make 12.10, not its total 14.30"
    side = {**TRAINING, "sales": {"net": "12.33", "tax": "1.98", "total": "14.30"}}
    assert "sales' net 12.33 and tax 1.98 do not make its total 14.30" in str(
        check("training", side)
    )
    assert "cannot be read" in str(check("training", {"total": "1.00"}))


def test_technical_records_must_say_what_they_record():
    reprint = {"what": "receipt", "reference": "TILL1-000001", "medium": "pdf"}
    assert check("reprint", reprint) is None
    assert "neither a receipt nor a report" in str(check("reprint", {**reprint, "what": "x"}))
    approval = {"action": "closing_difference", "approver": "manager", "session_name": "S"}
    assert check("approval", approval) is None
    assert check("approval", {**approval, "approver": ""}) == "its approver is missing or empty"
    settings = {
        "change": "tax",
        "subject": "tax VAT 6%",
        "changes": {"rate": {"from": "6.0000", "to": "5.5000"}},
    }
    assert check("settings", settings) is None
    assert check("settings", {**settings, "changes": {}}) == "it names no changed field"
    assert "does not say from what to what" in str(
        check("settings", {**settings, "changes": {"rate": {"to": "5"}}})
    )
    assert check("version", {"version": "0.2.0", "previous": "0.1.0"}) is None
    assert check("version", {"version": "0.2.0", "previous": "0.2.0"}) == (
        "it records version 0.2.0 again"
    )
