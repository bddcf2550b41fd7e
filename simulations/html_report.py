"""The comparison as one self-contained HTML page: inline SVG charts, Chinese text, no network.

No scripts, no external fonts, styles or images: the page opens from a file on a machine
without network. Text is UTF-8 (declared with ``<meta charset="utf-8">``) and set in the
CJK fonts a machine is likely to have, falling back to its default sans-serif.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from .report import HouseholdsSection, ReviewSection, ReviewSide, SimulationReport, TierMigration

#: What a chart or a cell shows: an amount (exact) or a statistic (a float).
Number = float | Decimal

BASE = "#6b8fc9"
CAND = "#f08a4b"
UP = "#2a9d6f"
DOWN = "#d1495b"
GRID = "#e3e3e3"
FONT = ('"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","WenQuanYi Micro Hei","WenQuanYi Zen Hei",'
        '"Microsoft YaHei","PingFang SC","Hiragino Sans GB",sans-serif')

STATUS = {"unchanged": "未改", "changed": "已改", "added": "新增", "removed": "删除", "enabled": "启用",
          "disabled": "停用"}


def _t(text: object) -> str:
    return escape(str(text), quote=True)


def _num(x: Number) -> str:
    if isinstance(x, Decimal):  # an amount: its exact digits
        return f"{x.normalize():,f}"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:,.2f}"
    return f"{int(x):,}"


def _floats(series: list[tuple[str, str, Sequence[Number]]]) -> list[tuple[str, str, list[float]]]:
    """A chart's series as floats: drawing needs positions, not exact amounts."""
    return [(name, color, [float(v) for v in values]) for name, color, values in series]


def _signed(x: Number) -> str:
    return ("+" if x > 0 else "") + _num(x)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _nice_step(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at least ``value`` (> 0): a step a reader counts in."""
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= value)


def fitted_axis(values: Sequence[float]) -> tuple[float, float, float]:
    """Low and high bound and step of a line chart's y axis: the data's range, a tenth wider on each side.

    A line's height, not its length, carries the value, so its axis need not start at 0 — and
    one that does draws a 4% change as a flat line. The bounds are whole steps; values all on
    one side of 0 keep the axis on that side (a count never gets a negative axis).
    """
    lo, hi = min(values, default=0.0), max(values, default=0.0)
    spread = hi - lo or max(abs(hi) * 0.1, 1.0)
    step = _nice_step(spread * 1.2 / 4)
    low = math.floor((lo - spread * 0.1) / step) * step
    high = math.ceil((hi + spread * 0.1) / step) * step
    if lo >= 0 > low:
        low = 0.0
    if hi <= 0 < high:
        high = 0.0
    if high == low:  # every value 0 (a period with no facts): a count's axis from 0 up one step
        high = low + step
    return low, high, step


def _legend(x: float, y: float, items: list[tuple[str, str]]) -> str:
    out = []
    for label, color in items:
        out.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{color}"/>'
                   f'<text x="{x + 16:.1f}" y="{y:.1f}" font-size="12">{_t(label)}</text>')
        x += 26 + 13 * len(label)
    return "".join(out)


def _svg(width: int, height: int, title: str, body: str) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{_t(title)}">'
            f'<title>{_t(title)}</title><rect width="100%" height="100%" fill="#ffffff"/>{body}</svg>')


def grouped_bars(title: str, labels: list[str], shown: list[tuple[str, str, Sequence[Number]]],
                 width: int = 640, height: int = 300) -> str:
    """Vertical grouped bars: one group per label, one bar per series."""
    series = _floats(shown)
    left, right, top, bottom = 60, 20, 40, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    vmax = _nice_max(max([v for _, _, vals in series for v in vals] + [0]))
    vmin = min([v for _, _, vals in series for v in vals] + [0])
    vmin = -_nice_max(-vmin) if vmin < 0 else 0.0
    span = vmax - vmin

    def y(v: float) -> float:
        return top + plot_h * (vmax - v) / span

    parts = [f'<text x="{left}" y="22" font-size="14" font-weight="bold">{_t(title)}</text>']
    for k in range(5):
        v = vmin + span * k / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{_num(v)}</text>')
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.7 / max(len(series), 1)
    for i, label in enumerate(labels):
        gx = left + group_w * i + group_w * 0.15
        for j, (_, color, vals) in enumerate(series):
            v = vals[i]
            y0, y1 = sorted((y(0), y(v)))
            parts.append(f'<rect x="{gx + bar_w * j:.1f}" y="{y0:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{max(y1 - y0, 0.5):.1f}" fill="{color}"><title>{_t(label)}：{_num(v)}</title></rect>'
                         f'<text x="{gx + bar_w * j + bar_w / 2 - 1:.1f}" y="{(y1 + 13) if v < 0 else (y0 - 3):.1f}" '
                         f'font-size="10" text-anchor="middle">{_num(v)}</text>')
        parts.append(f'<text x="{gx + group_w * 0.35:.1f}" y="{height - bottom + 18}" font-size="12" '
                     f'text-anchor="middle">{_t(label)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#555"/>')
    parts.append(_legend(left, height - 10, [(name, color) for name, color, _ in series]))
    return _svg(width, height, title, "".join(parts))


def diverging_bars(title: str, shown: list[tuple[str, Number]], width: int = 640) -> str:
    """Horizontal bars left (negative) or right (positive) of a zero line."""
    rows = [(label, float(v)) for label, v in shown]
    label_w, right, top, row_h = 230, 60, 40, 22
    height = top + row_h * max(len(rows), 1) + 20
    m = _nice_max(max([abs(v) for _, v in rows] + [0]))
    zero = label_w + (width - label_w - right) / 2
    half = (width - label_w - right) / 2
    parts = [f'<text x="10" y="22" font-size="14" font-weight="bold">{_t(title)}</text>',
             f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top - 6}" y2="{height - 14}" stroke="#555"/>']
    if not rows:
        parts.append(f'<text x="{zero:.1f}" y="{top + 14}" font-size="12" text-anchor="middle">无变化</text>')
    for i, (label, v) in enumerate(rows):
        yy = top + row_h * i
        w = half * abs(v) / m
        x = zero if v >= 0 else zero - w
        color = UP if v >= 0 else DOWN
        parts.append(f'<text x="{label_w - 8}" y="{yy + 14}" font-size="12" text-anchor="end">{_t(label)}</text>'
                     f'<rect x="{x:.1f}" y="{yy + 3}" width="{max(w, 0.5):.1f}" height="{row_h - 6}" fill="{color}">'
                     f'<title>{_t(label)}：{_signed(v)}</title></rect>'
                     f'<text x="{(zero + w + 4) if v >= 0 else (zero - w - 4):.1f}" y="{yy + 14}" font-size="11" '
                     f'text-anchor="{"start" if v >= 0 else "end"}">{_signed(v)}</text>')
    return _svg(width, height, title, "".join(parts))


def paired_hbars(title: str, shown: list[tuple[str, Number, Number]], width: int = 640) -> str:
    """Horizontal baseline/candidate bar pairs, one pair per row."""
    rows = [(label, float(a), float(b)) for label, a, b in shown]
    label_w, right, top, row_h = 230, 70, 40, 30
    height = top + row_h * max(len(rows), 1) + 30
    m = _nice_max(max([max(abs(a), abs(b)) for _, a, b in rows] + [0]))
    plot = width - label_w - right
    parts = [f'<text x="10" y="22" font-size="14" font-weight="bold">{_t(title)}</text>']
    for i, (label, a, b) in enumerate(rows):
        yy = top + row_h * i
        parts.append(f'<text x="{label_w - 8}" y="{yy + 17}" font-size="12" text-anchor="end">{_t(label)}</text>')
        for k, (v, color) in enumerate(((a, BASE), (b, CAND))):
            w = plot * abs(v) / m
            stroke = f' stroke="{DOWN}" stroke-width="1.5" fill-opacity="0.35"' if v < 0 else ""
            parts.append(f'<rect x="{label_w}" y="{yy + 3 + k * 12}" width="{max(w, 0.5):.1f}" height="11" '
                         f'fill="{color}"{stroke}><title>{_t(label)}：{_num(v)}</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{yy + 12 + k * 12}" font-size="10">{_num(v)}</text>')
    parts.append(_legend(label_w, height - 8, [("基线", BASE), ("候选", CAND)]))
    if any(min(a, b) < 0 for _, a, b in rows):
        parts.append(f'<text x="{width - right:.1f}" y="{height - 8}" font-size="11" text-anchor="end" '
                     f'fill="{DOWN}">红框浅色条为扣分（负值）</text>')
    return _svg(width, height, title, "".join(parts))


def lines(title: str, labels: list[str], shown: list[tuple[str, str, Sequence[Number]]],
          width: int = 640, height: int = 300) -> str:
    """Line chart whose y axis fits the data (``fitted_axis``); where it leaves out 0 the chart says so."""
    series = _floats(shown)
    left, right, top, bottom = 70, 20, 40, 55
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high, tick = fitted_axis([v for _, _, vals in series for v in vals])

    def y(v: float) -> float:
        return top + plot_h * (high - v) / (high - low)

    def x(i: int) -> float:
        return left + (plot_w * i / (len(labels) - 1) if len(labels) > 1 else plot_w / 2)

    # every tick label with the step's decimals (a step is 1, 2, 2.5 or 5 × 10ⁿ)
    places = next((d for d in range(10) if math.isclose(round(tick, d), tick, rel_tol=1e-9)), 10)

    def tick_label(v: float) -> str:
        return f"{v:,.{places}f}"

    parts = [f'<text x="{left}" y="22" font-size="14" font-weight="bold">{_t(title)}</text>']
    for k in range(round((high - low) / tick) + 1):
        v = round(low + tick * k, 10)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="{"#555" if v == 0 else GRID}"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{tick_label(v)}</text>')
    if low > 0 or high < 0:
        said = f"纵轴从 {tick_label(low)} 起，不从 0 起" if low > 0 else f"纵轴到 {tick_label(high)} 为止，不含 0"
        parts.append(f'<text class="axis-note" x="{width - right}" y="35" font-size="11" text-anchor="end" '
                     f'fill="{DOWN}">{said}</text>')
    step = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="10" '
                         f'text-anchor="middle">{_t(label)}</text>')
    for name, color, vals in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vals))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for i, v in enumerate(vals):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                         f'<title>{_t(name)} {_t(labels[i])}：{_num(v)}</title></circle>')
    parts.append(_legend(left, height - 10, [(name, color) for name, color, _ in series]))
    return _svg(width, height, title, "".join(parts))


def histogram(title: str, bins: list[tuple[int, int, int]], width: int = 640, height: int = 260) -> str:
    """Bars for ``(low, high, count)`` bins: wholly above 0 green, wholly below red, the bin holding 0 grey."""
    left, right, top, bottom = 60, 20, 40, 45
    plot_w, plot_h = width - left - right, height - top - bottom
    cmax = _nice_max(max([c for _, _, c in bins] + [0]))
    parts = [f'<text x="{left}" y="22" font-size="14" font-weight="bold">{_t(title)}</text>']
    bw = plot_w / max(len(bins), 1)
    for k in range(5):
        v = cmax * k / 4
        yy = top + plot_h * (1 - v / cmax)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{yy + 4:.1f}" font-size="11" text-anchor="end">{_num(v)}</text>')
    for i, (lo, hi, count) in enumerate(bins):
        h = plot_h * count / cmax
        color = UP if lo > 0 else DOWN if hi <= 0 else "#999999"
        parts.append(f'<rect x="{left + bw * i + 1:.1f}" y="{top + plot_h - h:.1f}" width="{max(bw - 2, 1):.1f}" '
                     f'height="{max(h, 0.5):.1f}" fill="{color}"><title>[{lo}, {hi})：{count} 人</title></rect>')
        if i % max(1, len(bins) // 10) == 0:
            parts.append(f'<text x="{left + bw * i:.1f}" y="{height - bottom + 15}" font-size="10" '
                         f'text-anchor="middle">{lo}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" font-size="12" text-anchor="middle">'
                 f'每位居民积分变化（候选 − 基线）</text>')
    return _svg(width, height, title, "".join(parts))


def _table(head: list[str], rows: Sequence[Sequence[object]], numeric_from: int = 1) -> str:
    out = ["<table><thead><tr>", *(f"<th>{_t(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            cls = ' class="n"' if i >= numeric_from else ""
            out.append(f"<td{cls}>{cell if isinstance(cell, Raw) else _t(cell)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


class Raw(str):
    """Already-escaped HTML for a table cell."""


def _delta_cell(x: Number, rise_is: str = "good") -> Raw:
    """A change coloured by what it means: green better, red worse, grey neither (a cost rising is red)."""
    better = x > 0 if rise_is == "good" else x < 0
    color = "#666" if not x or rise_is == "neutral" else UP if better else DOWN
    return Raw(f'<span style="color:{color}">{_t(_signed(x))}</span>')


def _migration(tiers: TierMigration, title: str) -> str:
    """Counts per tier as bars, and the matrix of moves coloured by direction."""
    labels = [f"{t.id} {t.title}" for t in tiers.tiers]
    chart = grouped_bars(title, labels, [("基线", BASE, tiers.baseline_counts), ("候选", CAND, tiers.candidate_counts)])
    peak = max([v for row in tiers.matrix for v in row] + [1])
    rows = []
    for i, row in enumerate(tiers.matrix):
        cells = []
        for j, v in enumerate(row):
            alpha = 0.08 + 0.8 * v / peak if v else 0
            color = "107,143,201" if i == j else ("42,157,111" if j < i else "209,73,91")
            cells.append(Raw(f'<span class="cell" style="background:rgba({color},{alpha:.2f})">{v:,}</span>'))
        rows.append([f"基线 {labels[i]}", *cells])
    return chart + _table(["基线 \\ 候选", *labels], rows)


SIDES = {"baseline": "仅基线有此规则", "candidate": "仅候选有此规则", "both": "两方案都有此规则"}
HELD_BY = {"resident": "居民个人", "household": "家庭"}


def _households(section: HouseholdsSection) -> str:
    """The change by household: who holds the accounts, the spread, the zones and the households' tiers."""
    dist = section.distribution
    held = section.held_by
    parts = [
        "<h2>按家庭</h2>"
        f"<p>{section.households:,} 户。账户持有：基线为{HELD_BY.get(held['baseline'], held['baseline'])}，"
        f"候选为{HELD_BY.get(held['candidate'], held['candidate'])}。"
        f"{dist.gainers:,} 户增加，{dist.losers:,} 户减少，{dist.unchanged:,} 户不变；"
        f"户均变化 {_signed(dist.mean)}，中位数 {_signed(dist.median)}。</p>",
        _table(["家庭", "户数", "基线户均", "候选户均", "基线占比", "候选占比", "基线基尼", "候选基尼", "户均变化"],
               [[g.title, g.residents, _num(g.baseline.mean), _num(g.candidate.mean), f"{g.baseline.share:.1%}",
                 f"{g.candidate.share:.1%}", f"{g.baseline.gini:.3f}", f"{g.candidate.gini:.3f}",
                 _delta_cell(g.delta_mean)] for g in section.groups])]
    if section.tiers is not None:
        parts.append("<h3>家庭等级迁移</h3>" + _migration(section.tiers, "各等级户数"))
    parts.append(f'<p class="note">{_t(section.note)}</p>')
    return "".join(parts)


def _publicity(side: ReviewSide) -> str:
    if side.publicity_days is None:
        return "批准后公示，天数按系统默认"
    return "批准即发放，不公示" if side.publicity_days == 0 else f"批准后公示 {side.publicity_days} 天"


def _review(section: ReviewSection) -> str:
    """The committee's workload: awards held for review under each standard, by rule and by month."""
    said = [f"{name}：{side.rules} 条规则需委员会审核，待审核奖励 {side.awards:,} 条 / {_num(side.points)} 分"
            f"（{_publicity(side)}）" if side.rules else f"{name}：没有需委员会审核的规则"
            for name, side in (("基线", section.baseline), ("候选", section.candidate))]
    counted = ("总量、规则、等级与负债均按这些奖励全部获批计入。" if section.counted_in_totals
               else "总量、规则、等级与负债均未计入这些奖励。")
    parts = ["<h2>委员会审核与公示</h2>", f"<p>{'；<br>'.join(_t(x) for x in said)}。<br>{counted}</p>"]
    if section.rules:
        parts.append(_table(["规则", "基线待审核条数", "候选待审核条数", "基线待审核积分", "候选待审核积分"],
                            [[r.title, f"{r.baseline_awards:,}", f"{r.candidate_awards:,}", _num(r.baseline_points),
                              _num(r.candidate_points)] for r in section.rules]))
    if section.monthly:
        parts.append(grouped_bars("每月待审核奖励条数", [m.month for m in section.monthly],
                                  [("基线", BASE, [m.baseline_awards for m in section.monthly]),
                                   ("候选", CAND, [m.candidate_awards for m in section.monthly])]))
        parts.append(_table(["月份", "基线条数", "候选条数", "基线积分", "候选积分"],
                            [[m.month, f"{m.baseline_awards:,}", f"{m.candidate_awards:,}", _num(m.baseline_points),
                              _num(m.candidate_points)] for m in section.monthly]))
    parts.append(f'<p class="note">{_t(section.note)}</p>')
    return "".join(parts)


def _validity(months: int | None, whose: str = "") -> str:
    """How long points stay valid: ``候选 24 个月``, ``基线不过期``."""
    return f"{whose}不过期" if months is None else f"{whose} {months} 个月".lstrip()


MATCHERS = {"durable-rules": "durable-rules（标准匹配器）", "python": "Python 匹配器（与标准匹配器逐条核对一致）",
            "polars-bulk": "Polars 列式评估（仅用于模拟，与标准匹配器逐条核对一致）"}


def render_html(report: SimulationReport) -> str:
    """The whole report as one page, from nothing but ``report``: a report.json read back renders the same page."""
    b, c = report.baseline, report.candidate
    src = report.source
    sections: list[str] = []

    # summary
    source_text = (f"合成人口情景 {src.title or src.name}（{src.name}，随机种子 {src.seed}）" if src.kind == "scenario"
                   else f"事实文件 {src.name}")
    months = f"{src.months[0]} 至 {src.months[-1]}" if src.months else "—"
    sections.append(
        f"<h1>规则变更模拟报告</h1>"
        f'<p class="lead">基线：<b>{_t(b.title)}</b>（{_t(b.ref)}）<br>候选：<b>{_t(c.title)}</b>（{_t(c.ref)}）<br>'
        f"数据：{_t(source_text)}，居民 {src.residents:,} 人，期间 {_t(months)}。"
        f"匹配引擎：{_t(MATCHERS.get(report.matcher, report.matcher))}。</p>")
    a = report.attribution
    rules_by_id = {r.rule_id: r for r in report.rules}
    causes = "、".join(f"{rules_by_id[k].title}（{_signed(rules_by_id[k].delta_net)}）" for k in a.causes[:5]) or "无"
    gap = report.fairness.zone_gap
    gap_text = ""
    if gap:
        titles = {g.id: g.title for g in report.fairness.groups if g.dimension == "zone"}
        gap_text = (f"<li>{_t(titles.get(gap.first, gap.first))}与{_t(titles.get(gap.second, gap.second))}人均积分差："
                    f"基线 {_num(gap.baseline_mean_gap)}，候选 {_num(gap.candidate_mean_gap)}"
                    f"（变化 {_signed(gap.change)}）</li>")
    liab = report.liability
    cand_yuan, base_yuan = liab.candidate.outstanding_yuan, liab.baseline.outstanding_yuan
    yuan = (f"，约合 {_num(cand_yuan)} 元（基线 {_num(base_yuan)} 元）"
            if cand_yuan is not None and base_yuan is not None else "")
    dist = report.residents.distribution
    expiry_text = ""
    lb, lc = liab.baseline, liab.candidate
    if lb.points_expire_after_months is not None or lc.points_expire_after_months is not None:
        expiry_text = (f"<li>到期作废积分：候选 {_num(lc.points_expired)}，基线 {_num(lb.points_expired)}"
                       f"（积分有效期：{_validity(lc.points_expire_after_months, '候选')}，"
                       f"{_validity(lb.points_expire_after_months, '基线')}）</li>")
    rv = report.review
    review_text = ""
    reviewing = bool(rv.baseline.rules or rv.candidate.rules)
    if reviewing:
        review_text = (f"<li>待委员会审核的奖励：候选 {rv.candidate.awards:,} 条 / {_num(rv.candidate.points)} 分，"
                       f"基线 {rv.baseline.awards:,} 条 / {_num(rv.baseline.points)} 分"
                       f"（{'总量按全部获批计入' if rv.counted_in_totals else '总量未计入'}）</li>")
    sections.append(
        "<h2>要点</h2><ul>"
        f"<li>净发放积分变化 {_signed(a.total_delta)}；变化来自：{_t(causes)}</li>"
        f"<li>{dist.gainers:,} 人增加，{dist.losers:,} 人减少，{dist.unchanged:,} 人不变</li>"
        f"{gap_text}"
        f"<li>期末未兑换积分（信用超市负债）：候选 {_num(lc.outstanding_points)}，"
        f"基线 {_num(lb.outstanding_points)}{_t(yuan)}</li>"
        f"{expiry_text}{review_text}"
        f"<li>诚信等级：{report.tiers.moved_up:,} 人升级，{report.tiers.moved_down:,} 人降级</li></ul>")
    if report.unexercised:
        sections.append(
            '<div class="warn"><b>注意：以下规则在本次模拟中没有任何对应事实，其影响（包括成本）未被估计，'
            "不能当作 0。</b><ul>" + "".join(
                f"<li>{_t(u.title)}（事实类型「{_t(u.fact_type_title)}」；"
                f"{SIDES[u.side]}）</li>" for u in report.unexercised) + "</ul></div>")
    sections.append("<h2>总量</h2>" + _table(
        ["指标", "基线", "候选", "变化"],
        [[t.title, _num(t.baseline), _num(t.candidate), _delta_cell(t.delta, t.rise_is)] for t in report.totals
         if reviewing or not t.metric.startswith("review_")]))  # no standard reviews: no review rows

    # fairness
    zones = [g for g in report.fairness.groups if g.dimension in ("zone", "origin")]
    sections.append("<h2>分区公平性</h2>" + grouped_bars(
        "人均积分：分区与居民来源", [g.title for g in zones],
        [("基线", BASE, [g.baseline.mean for g in zones]), ("候选", CAND, [g.candidate.mean for g in zones])]))
    sections.append(_table(
        ["群体", "人数", "基线人均", "候选人均", "基线中位数", "候选中位数", "基线占比", "候选占比",
         "基线基尼", "候选基尼", "人均变化"],
        [[g.title, g.residents, _num(g.baseline.mean), _num(g.candidate.mean), _num(g.baseline.median),
          _num(g.candidate.median), f"{g.baseline.share:.1%}", f"{g.candidate.share:.1%}",
          f"{g.baseline.gini:.3f}", f"{g.candidate.gini:.3f}", _delta_cell(g.delta_mean)]
         for g in report.fairness.groups]))

    # rules
    changed_rules = [r for r in report.rules if r.delta_net]
    sections.append("<h2>按规则归因</h2>" + diverging_bars(
        "各规则净积分变化（候选 − 基线）", [(r.title, r.delta_net) for r in
                                 sorted(changed_rules, key=lambda r: (-abs(r.delta_net), r.rule_id))]))
    shown = [r for r in report.rules if r.baseline.awards or r.candidate.awards]
    sections.append(paired_hbars("各规则发放积分", [(r.title, r.baseline.net, r.candidate.net) for r in shown]))
    zone_ids = list(report.rules[0].by_zone) if report.rules else []
    zone_titles = {g.id: g.title for g in report.fairness.groups if g.dimension == "zone"}
    sections.append(_table(
        ["规则", "状态", "基线积分", "候选积分", "变化", "占总变化", "基线覆盖人数", "候选覆盖人数",
         "基线触顶次数", "候选触顶次数", *[f"{zone_titles.get(z, z)}变化" for z in zone_ids]],
        [[r.title, STATUS.get(r.status, r.status), _num(r.baseline.net), _num(r.candidate.net),
          _delta_cell(r.delta_net, "neutral"), f"{r.share_of_change:.1%}" if r.share_of_change is not None else "—",
          r.baseline.residents_reached, r.candidate.residents_reached, r.baseline.limit_bound,
          r.candidate.limit_bound, *[_delta_cell(r.by_zone.get(z, 0), "neutral") for z in zone_ids]]
         for r in report.rules]))
    sections.append(f'<p class="note">{_t(a.note)}</p>')
    if report.limits:
        sections.append("<h3>上限触发次数</h3>" + _table(
            ["上限", "基线", "候选"], [[lim.title, lim.baseline, lim.candidate] for lim in report.limits]))

    # tiers
    sections.append("<h2>诚信等级迁移</h2>" + _migration(report.tiers, "各等级人数"))
    if report.households is not None:
        sections.append(_households(report.households))

    # residents
    sections.append("<h2>居民个人变化</h2>" + histogram(
        "积分变化分布", [(bn.low, bn.high, bn.count) for bn in dist.histogram]))
    sections.append(f'<p>平均 {_signed(dist.mean)}，中位数 {_signed(dist.median)}，5%–95% 分位 '
                    f'{_signed(dist.p05)} 至 {_signed(dist.p95)}，'
                    f'最小 {_signed(dist.min)}，最大 {_signed(dist.max)}。</p>')
    rule_title = {r.rule_id: r.title for r in report.rules}
    tier_title = {t.id: t.title for t in report.tiers.tiers}.get
    for name, people in (("增加最多", report.residents.top_gainers), ("减少最多", report.residents.top_losers)):
        if people:
            sections.append(f"<h3>{name}</h3>" + _table(
                ["居民", "分区", "基线积分", "候选积分", "变化", "等级", "主要原因"],
                [[p.resident, zone_titles.get(p.zone, p.zone), p.baseline_points, p.candidate_points,
                  _delta_cell(p.delta_points),
                  f"{tier_title(p.baseline_tier, p.baseline_tier)} → {tier_title(p.candidate_tier, p.candidate_tier)}",
                  f"{rule_title.get(p.main_rule, p.main_rule) if p.main_rule else '—'}（{_signed(p.main_rule_delta)}）"]
                 for p in people], numeric_from=2))

    # liability
    sections.append("<h2>信用超市负债</h2>" + lines(
        "每月末未兑换积分", [m.month for m in liab.monthly],
        [("基线", BASE, [m.baseline_outstanding for m in liab.monthly]),
         ("候选", CAND, [m.candidate_outstanding for m in liab.monthly])]))
    sections.append(lines(
        "每月发放与兑换积分", [m.month for m in liab.monthly],
        [("基线发放", BASE, [m.baseline_issued for m in liab.monthly]),
         ("候选发放", CAND, [m.candidate_issued for m in liab.monthly]),
         ("基线兑换", "#9aa9c0", [m.baseline_redeemed for m in liab.monthly]),
         ("候选兑换", "#e6b48f", [m.candidate_redeemed for m in liab.monthly])]))
    if any(m.baseline_expired or m.candidate_expired for m in liab.monthly):
        sections.append(lines(
            "每月末到期作废积分", [m.month for m in liab.monthly],
            [("基线", BASE, [m.baseline_expired for m in liab.monthly]),
             ("候选", CAND, [m.candidate_expired for m in liab.monthly])]))
    sections.append(_table(
        ["", "发放积分", "扣除积分", "兑换积分", "兑换次数", "兑换成本（元）", "积分有效期", "到期作废积分",
         "未兑换积分", "负债（元）", "负余额人数"],
        [[name, s.points_earned, s.points_deducted, s.points_redeemed, s.redemptions, _num(s.redeemed_yuan),
          _validity(s.points_expire_after_months), s.points_expired,
          s.outstanding_points, _num(s.outstanding_yuan) if s.outstanding_yuan is not None else "—",
          s.negative_balances] for name, s in (("基线", liab.baseline), ("候选", liab.candidate))]))
    sections.append(f'<p class="note">{_t(liab.note)}</p>')
    if liab.yuan_basis:
        sections.append(f'<p class="note">{_t(liab.yuan_basis)}</p>')
    if reviewing:
        sections.append(_review(rv))
    rejected = {k: v for side in report.rejected_facts.values() for k, v in side.items()}
    if rejected:
        sections.append("<h3>未能计分的事实</h3>" + _table(
            ["事实类型与原因", "基线", "候选"],
            [[k, report.rejected_facts["baseline"].get(k, 0), report.rejected_facts["candidate"].get(k, 0)]
             for k in sorted(rejected)]))

    style = (f"body{{font-family:{FONT};margin:2em auto;max-width:1000px;color:#222;line-height:1.5;padding:0 1em}}"
             "h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:2px solid #eee;padding-bottom:.2em}"
             "table{border-collapse:collapse;margin:.8em 0;font-size:13px}"
             "th,td{border:1px solid #ddd;padding:3px 8px}th{background:#f5f5f5}td.n{text-align:right}"
             ".note{color:#666;font-size:12px}.lead{background:#f7f9fc;padding:.8em 1em;border-radius:6px}"
             f"svg.chart{{display:block;margin:1em 0;max-width:100%;height:auto;font-family:{FONT}}}"
             ".cell{display:inline-block;min-width:3em;text-align:right;padding:0 4px}"
             ".warn{background:#fff4e5;border-left:4px solid #e69500;padding:.6em 1em;margin:1em 0}"
             # a phone: a row's first cell on a line of its own, the others four to a line; every row
             # (the header's too) wraps alike, so a value stays under its heading
             "@media (max-width:600px){body{margin:1em auto;padding:0 .6em}table{display:block;font-size:12px}"
             "thead,tbody{display:block}tr{display:flex;flex-wrap:wrap;border-bottom:1px solid #ddd}"
             "th,td{box-sizing:border-box;flex:1 0 25%;min-width:0;border:0;padding:2px 4px;overflow-wrap:anywhere}"
             "th{text-align:right}th:first-child,td:first-child{flex-basis:100%;font-weight:bold;text-align:left}}")
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>规则变更模拟报告：{_t(b.ref)} → {_t(c.ref)}</title><style>{style}</style></head><body>"
            + "\n".join(sections) + "</body></html>\n")
