"""The Z reports of a fiscal archive (``opentill.fiscal.archive``): the JSON report and its
text rendering of each session closed in the archived period. Registered with
``fiscal.archive.part_register`` from ``ReportsConfig.ready`` (fiscal sits below reports)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from opentill.pos.models import PosProfile, Session
from opentill.reports.render_text import render_text
from opentill.reports.selectors import session_report


def _file_name(session: Session) -> str:
    return session.name.replace("/", "_")


def z_reports(profile: PosProfile, session_ids: Sequence[int]) -> dict[str, bytes]:
    """``reports/<session>.json`` and ``reports/<session>.txt`` per session."""
    files: dict[str, bytes] = {}
    sessions = Session.objects.filter(profile=profile, pk__in=session_ids).select_related(
        "profile__store__company", "user"
    )
    for session in sessions.order_by("id"):
        report = session_report(session=session)
        name = f"reports/{_file_name(session)}"
        files[f"{name}.json"] = (
            json.dumps(report, indent=1, ensure_ascii=False, sort_keys=True, default=str) + "\n"
        ).encode()
        files[f"{name}.txt"] = render_text(report).encode()
    return files
