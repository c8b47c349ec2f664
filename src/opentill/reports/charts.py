"""Server-rendered SVG charts for the back-office dashboards: no JavaScript, no CDN.

Pure: no Django import. Values are ``Decimal`` (money) or ``int`` (counts); the pixel
geometry is computed with ``Decimal`` too and rounded to a tenth of a pixel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape, quoteattr

Number = Decimal | int
# Okabe–Ito: told apart by people with colour-vision deficiencies, and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
NEGATIVE = "#C0392B"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11"'


def _px(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"


def _nice_step(span: Decimal, ticks: int = 5) -> Decimal:
    """A round tick step (1, 2 or 5 × 10ⁿ) that cuts ``span`` into about ``ticks`` parts."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    exponent = raw.adjusted()
    base = Decimal(1).scaleb(exponent)
    for factor in (1, 2, 5, 10):
        step = base * factor
        if step >= raw:
            return step
    return base * 10  # pragma: no cover


def _scale(values: Sequence[Number]) -> tuple[Decimal, Decimal, Decimal]:
    """(low, high, step) of an axis that includes zero and every value."""
    decimals = [Decimal(v) for v in values] or [Decimal(0)]
    low = min(min(decimals), Decimal(0))
    high = max(max(decimals), Decimal(0))
    if low == high:
        high = low + 1
    step = _nice_step(high - low)
    low = (low / step).to_integral_value(ROUND_FLOOR) * step
    high = (high / step).to_integral_value(ROUND_CEILING) * step
    return low, high, step


def _label(value: Decimal, step: Decimal) -> str:
    places = max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def _frame(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label={quoteattr(title)} class="ot-chart">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _y_axis(
    low: Decimal, high: Decimal, step: Decimal, top: Decimal, bottom: Decimal, left: int, right: int
) -> tuple[list[str], Callable[[Number], Decimal]]:
    def y(value: Number) -> Decimal:
        return bottom - (Decimal(value) - low) * (bottom - top) / (high - low)

    parts = []
    tick = low
    while tick <= high:
        ty = _px(y(tick))
        stroke = "#333" if tick == 0 else "#e3e3e3"
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{ty}" y2="{ty}" stroke="{stroke}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{ty}" text-anchor="end" dominant-baseline="middle" '
            f'fill="#555" {FONT}>{_label(tick, step)}</text>'
        )
        tick += step
    return parts, y


def _x_labels(labels: Sequence[str], xs: Sequence[Decimal], baseline: Decimal) -> list[str]:
    every = max(1, (len(labels) + 11) // 12)  # at most about 12 labels
    return [
        f'<text x="{_px(x)}" y="{_px(baseline + 16)}" text-anchor="middle" fill="#555" {FONT}>'
        f"{escape(label)}</text>"
        for i, (label, x) in enumerate(zip(labels, xs, strict=True))
        if i % every == 0 or i == len(labels) - 1
    ]


def bar_chart(
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    color: str = PALETTE[0],
) -> str:
    """Vertical bars, one per label (e.g. sales per day); negative bars in red."""
    left, right, top, bottom = 56, width - 12, Decimal(12), Decimal(height - 28)
    low, high, step = _scale(values)
    parts, y = _y_axis(low, high, step, top, bottom, left, right)
    n = max(len(values), 1)
    slot = Decimal(right - left) / n
    bar = slot * Decimal("0.7")
    xs = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = Decimal(left) + slot * i + (slot - bar) / 2
        xs.append(x + bar / 2)
        y0, y1 = y(0), y(value)
        top_y, h = (y1, y0 - y1) if y1 < y0 else (y0, y1 - y0)
        fill = NEGATIVE if Decimal(value) < 0 else color
        parts.append(
            f'<rect x="{_px(x)}" y="{_px(top_y)}" width="{_px(bar)}" height="{_px(h)}" '
            f'fill="{fill}"><title>{escape(label)}: {escape(str(value))}</title></rect>'
        )
    parts += _x_labels(labels, xs, bottom)
    return _frame(width, height, title, parts)


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number | None]],
    *,
    title: str,
    width: int = 640,
    height: int = 260,
) -> str:
    """One line with dots per series (e.g. cash difference per cashier per day); ``None``
    is a day without a value (no dot; the line joins the dots around it)."""
    legend_rows = (len(series) + 3) // 4
    left, right = 56, width - 12
    top, bottom = Decimal(12 + 18 * legend_rows), Decimal(height - 28)
    every = [v for values in series.values() for v in values if v is not None]
    low, high, step = _scale(every)
    parts, y = _y_axis(low, high, step, top, bottom, left, right)
    n = max(len(labels), 1)
    slot = Decimal(right - left) / n
    xs = [Decimal(left) + slot * i + slot / 2 for i in range(len(labels))]
    for index, (name, values) in enumerate(series.items()):
        color = PALETTE[index % len(PALETTE)]
        points = [(xs[i], y(v), labels[i], v) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{_px(px)},{_px(py)}" for px, py, _, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for px, py, label, value in points:
            parts.append(
                f'<circle cx="{_px(px)}" cy="{_px(py)}" r="3.5" fill="{color}">'
                f"<title>{escape(name)}, {escape(label)}: {escape(str(value))}</title></circle>"
            )
        lx = left + (index % 4) * 140
        ly = 12 + (index // 4) * 18
        parts.append(
            f'<rect x="{lx}" y="{ly - 8}" width="12" height="12" fill="{color}"/>'
            f'<text x="{lx + 17}" y="{ly + 2}" fill="#222" {FONT}>{escape(name[:20])}</text>'
        )
    parts += _x_labels(labels, xs, bottom)
    return _frame(width, height, title, parts)


def hbar_chart(
    labels: Sequence[str],
    values: Sequence[int],
    *,
    title: str,
    width: int = 640,
    colors: Sequence[str] | None = None,
) -> str:
    """Horizontal bars with their value at the end (e.g. sessions per state)."""
    row = 28
    height = max(len(labels), 1) * row + 16
    left, right = 130, width - 48
    high = max([*values, 1])
    parts = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 8 + i * row
        w = Decimal(right - left) * value / high
        color = (colors or PALETTE)[i % len(colors or PALETTE)]
        parts.append(
            f'<text x="{left - 8}" y="{y + 11}" text-anchor="end" dominant-baseline="middle" '
            f'fill="#222" {FONT}>{escape(label)}</text>'
            f'<rect x="{left}" y="{y}" width="{_px(w)}" height="{row - 8}" fill="{color}"/>'
            f'<text x="{_px(left + w + 6)}" y="{y + 11}" dominant-baseline="middle" fill="#222" '
            f"{FONT}>{value}</text>"
        )
    return _frame(width, height, title, parts)
