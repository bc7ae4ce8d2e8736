"""Server-side SVG charts (pygal) for the console and the public pages: no script, no
internet, no build step. pygal builds the SVG as an XML tree, so every label and title is
escaped; the returned Markup is safe to put in a page as it is."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

FONT = "'PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif"
STYLE = Style(
    background="transparent", plot_background="transparent", foreground="#1f2933",
    foreground_strong="#1f2933", foreground_subtle="#d9e2ec", opacity=".9", opacity_hover="1",
    colors=("#0b7a53", "#2f80ed", "#f2994a", "#9b51e0", "#eb5757", "#56ccf2", "#6fcf97",
            "#bdbdbd", "#f2c94c"),
    font_family=FONT, label_font_family=FONT, major_label_font_family=FONT,
    value_font_family=FONT, title_font_family=FONT, legend_font_family=FONT,
    tooltip_font_family=FONT, title_font_size=22, label_font_size=16,
    major_label_font_size=16, legend_font_size=16, value_font_size=16, no_data_font_size=28,
)
EMPTY = "暂无数据"
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _config(**kw: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        style=STYLE, js=[], disable_xml_declaration=True, width=480, height=300,
        print_values=True, print_zeroes=False, show_legend=False, margin=12, no_data_text=EMPTY,
        truncate_label=-1, truncate_legend=-1)
    base.update(kw)
    return base


def _render(chart: pygal.graph.graph.Graph) -> Markup:
    # pygal writes its config (titles and labels as JSON) into a <script> even with js=[];
    # the pages run no script (CSP script-src 'none'), so it goes. Labels are escaped
    # (&lt;), so a resident's "</script>" can never end this match early.
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    return Markup(f'<div class="chart">{svg}</div>')


def _empty(title: str, values: object) -> Markup | None:
    """No data: a line of text reads better than an empty grid."""
    flat: list[object] = []
    for v in values:  # type: ignore[attr-defined]
        flat.extend(v if isinstance(v, (list, tuple)) else [v])
    if not any(flat):
        return Markup('<div class="chart-empty"><strong>{}</strong><p class="muted">{}</p></div>').format(
            title, EMPTY)
    return None


def _ticks(top: float) -> list[int]:
    """Whole-number axis ticks for counts (no 0.2 households), at most about 6 of them."""
    top = max(1, int(top + 0.999))
    step = max(1, -(-top // 5))
    return list(range(0, top + step, step))


def _left_margin(labels: Sequence[str]) -> int:
    # pygal guesses label widths for Latin text; CJK labels need about one em per character.
    return 14 + 15 * max((len(str(label)) for label in labels), default=0)


def _number(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def bar(title: str, labels: Sequence[str], values: Sequence[float | int | None], *,
        horizontal: bool = False, unit: str = "") -> Markup:
    """One series of bars, each with its value printed on it."""
    if (blank := _empty(title, values)) is not None:
        return blank
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    extra: dict[str, object] = {"y_labels": _ticks(max(float(v or 0) for v in values))}
    if horizontal:
        extra.update(height=max(200, 40 * len(labels) + 90), margin_left=_left_margin(labels))
    chart = kind(**_config(title=title, x_labels=list(labels),
                           value_formatter=lambda v: f"{v:g}{unit}", **extra))
    chart.add(title, [_number(v) for v in values])
    return _render(chart)


def stacked(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | int]],
            *, horizontal: bool = False) -> Markup:
    """Several series stacked per label (e.g. requests per month by category)."""
    if (blank := _empty(title, list(series.values()))) is not None:
        return blank
    kind = pygal.HorizontalStackedBar if horizontal else pygal.StackedBar
    totals = [sum(float(v or 0) for v in col) for col in zip(*series.values(), strict=False)]
    chart = kind(**_config(title=title, x_labels=list(labels), show_legend=bool(series),
                           y_labels=_ticks(max(totals, default=0)), legend_box_size=14,
                           legend_at_bottom=True, print_values=False,
                           value_formatter=lambda v: f"{v:g}"))
    for name, values in series.items():
        chart.add(name, [_number(v) for v in values])
    return _render(chart)


def line(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | int | None]],
         *, unit: str = "") -> Markup:
    if (blank := _empty(title, list(series.values()))) is not None:
        return blank
    chart = pygal.Line(**_config(title=title, x_labels=list(labels), show_legend=len(series) > 1,
                                 legend_at_bottom=True, value_formatter=lambda v: f"{v:g}{unit}"))
    for name, values in series.items():
        chart.add(name, [_number(v) for v in values])
    return _render(chart)


def pie(title: str, parts: Mapping[str, float | int], *, half: bool = False) -> Markup:
    """Shares of a whole (e.g. a vote's choices); each slice is labelled in the legend."""
    if (blank := _empty(title, list(parts.values()))) is not None:
        return blank
    chart = pygal.Pie(**_config(title=title, show_legend=True, legend_at_bottom=True,
                                inner_radius=0.45, half_pie=half,
                                value_formatter=lambda v: f"{v:g}"))
    for name, value in parts.items():
        if value:
            chart.add(name, float(value))
    return _render(chart)


def gauge(title: str, value: float | None, maximum: float = 5.0, unit: str = "分") -> Markup:
    """One number against its maximum (e.g. satisfaction 4.3 of 5)."""
    if value is None:
        return _empty(title, []) or Markup()
    chart = pygal.SolidGauge(**_config(title=title, inner_radius=0.7, half_pie=True,
                                       value_formatter=lambda v: f"{v:.1f}{unit}"))
    if value is not None:
        chart.add(title, [{"value": round(float(value), 2), "max_value": maximum}])
    return _render(chart)
