"""The dashboard's SVG charts (``reports/charts.py``)."""

from __future__ import annotations

from decimal import Decimal

from opentill.reports import charts


def test_charts_are_plain_svg():
    bar = charts.bar_chart(
        ["11-01", "11-02"], [Decimal("12.30"), Decimal("-4.00")], title="Sales & <more>"
    )
    assert bar.startswith("<svg") and bar.endswith("</svg>")
    assert "Sales &amp; &lt;more&gt;" in bar
    assert charts.NEGATIVE in bar  # the negative bar in red
    line = charts.line_chart(
        ["a", "b", "c"], {"alice": [Decimal("-1.20"), None, Decimal("0.50")]}, title="Diff"
    )
    assert line.count("<circle") == 2 and "<polyline" in line
    states = charts.hbar_chart(["Closed", "In progress"], [12, 1], title="States")
    assert ">12<" in states and ">1<" in states
    assert "<script" not in bar + line + states
    empty = charts.line_chart([], {}, title="Nothing")
    assert empty.startswith("<svg")


def test_chart_axis_steps_are_round():
    assert charts._nice_step(Decimal("97")) == Decimal("20")
    assert charts._nice_step(Decimal("4.3")) == Decimal("1")
    assert charts._scale([Decimal("-1.20"), Decimal("3.50")])[0] == Decimal("-2")
