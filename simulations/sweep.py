"""Parameter sweeps: one candidate per value of one rule's award or limit.

A sweep such as ``owners_meeting_attendance.award=1..5`` or
``community_activity_join.limit.month=5..20:5`` writes one draft per value (a ruleset that
``extends`` the baseline and overrides only that rule, kept in the output directory so the
committee can read exactly what was simulated), runs a full comparison for each, and sums
them up in one row per value with a chart of the trade-off: points issued vs. residents
reached vs. zone gap vs. liability.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from xinzhi.engine import Ruleset
from xinzhi.engine.amounts import Amount

from .html_report import BASE, CAND, MATCHERS, UP, _num, _t, _table, lines
from .population import Scenario
from .replay import Progress, ReplayRuleset
from .report import r4
from .run import simulate, write_outputs

SPEC = re.compile(r"^(?P<rule>[a-z][a-z0-9_]*)\.(?P<param>award|limit)(?:\.(?P<period>day|week|month|quarter|year))?"
                  r"=(?P<values>.+)$")


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep (``parse_sweep``): a rule, its award or one period's limit, and the values to try."""

    rule: str
    param: str          # "award" or "limit"
    period: str | None  # for a limit
    values: tuple[int, ...]

    @property
    def label(self) -> str:
        """The parameter as reports and file names show it: ``rule.award`` or ``rule.limit.month``."""
        what = "award" if self.param == "award" else f"limit.{self.period}"
        return f"{self.rule}.{what}"


def parse_sweep(text: str) -> SweepSpec:
    """``rule.award=1..5``, ``rule.award=1,3,5``, ``rule.limit.month=5..20:5`` (start..end:step)."""
    match = SPEC.match(text.strip())
    if not match:
        raise ValueError(f"sweep {text!r}: write RULE.award=VALUES or RULE.limit.PERIOD=VALUES, "
                         "VALUES as 1..5, 5..20:5 or 1,2,3")
    if match["param"] == "limit" and not match["period"]:
        raise ValueError(f"sweep {text!r}: a limit sweep names its period, e.g. {match['rule']}.limit.month=5..20")
    raw = match["values"]
    try:
        if ".." in raw:
            span, _, step = raw.partition(":")
            start, end = (int(x) for x in span.split(".."))
            step_n = int(step) if step else 1
            if step_n <= 0 or end < start:
                raise ValueError
            values = tuple(range(start, end + 1, step_n))
        else:
            values = tuple(int(x) for x in raw.split(","))
    except ValueError:
        raise ValueError(f"sweep {text!r}: values must be integers like 1..5, 5..20:5 or 1,2,3") from None
    if not values or len(values) > 50:
        raise ValueError(f"sweep {text!r}: give between 1 and 50 values")
    if match["param"] == "limit" and min(values) <= 0:
        raise ValueError(f"sweep {text!r}: a limit must be above 0")
    return SweepSpec(rule=match["rule"], param=match["param"], period=match["period"], values=values)


def draft_text(baseline: Ruleset, spec: SweepSpec, value: int) -> str:
    """A ruleset extending the baseline that changes only the swept parameter."""
    rule = next((r for r in baseline.rules if r.id == spec.rule), None)
    if rule is None:
        raise ValueError(f"sweep: the baseline {baseline.ref} has no rule {spec.rule!r}")
    override: dict[str, Any] = {"rule": spec.rule}
    if spec.param == "award":
        if rule.award.table is not None:
            raise ValueError(f"sweep: {spec.rule} awards from a table; sweep a fixed or per-unit award")
        override["award"] = {"points": value, **({"per": rule.award.per} if rule.award.per else {})}
        note = f"参数扫描：{rule.title} 分值改为 {value}"
    else:
        period = spec.period
        if period is None:  # parse_sweep never gives one; a SweepSpec written by hand might
            raise ValueError(f"sweep: a limit sweep of {spec.rule} names its period")
        kept = {lim.span: lim.model_dump(mode="json", exclude_none=True) for lim in rule.limits}
        kept[period] = {**kept.get(period, {"period": period}), "max": value}  # a count cap of that period stays
        override["limits"] = list(kept.values())
        note = f"参数扫描：{rule.title} 每{_PERIODS[period]}上限改为 {value}"
    override["note"] = note
    data = {
        "id": f"{baseline.id}_sweep_{spec.rule}_{spec.param}{'_' + spec.period if spec.period else ''}_{value}",
        "version": 1, "title": f"{baseline.title}（{note}）", "community": baseline.community,
        "effective_from": baseline.effective_from.isoformat(), "extends": baseline.ref, "overrides": [override],
    }
    return "# Draft written by `xinzhi simulate --sweep`: the baseline with one parameter changed.\n" + \
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


_PERIODS = {"day": "天", "week": "周", "month": "月", "quarter": "季度", "year": "年"}


class SweepRow(BaseModel):
    """One swept value: the candidate's totals, the swept rule's reach, fairness and liability."""

    model_config = ConfigDict(extra="forbid")

    value: int
    candidate: str
    points_net: Amount
    delta_points_net: Amount
    rule_points: Amount
    rule_residents_reached: int
    rule_limit_bound: int
    gainers: int
    losers: int
    zone_gap: float | None
    outstanding_points: Amount
    outstanding_yuan: float | None


class SweepReport(BaseModel):
    """A whole sweep against its baseline, one row per value (sweep.json)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = "xinzhi.sweep"
    matcher: str
    baseline: str
    baseline_title: str
    parameter: str
    rule_title: str
    baseline_points_net: Amount
    baseline_zone_gap: float | None
    rows: list[SweepRow]


def run_sweep(baseline_path: str | Path, spec: SweepSpec, out: str | Path, *, scenario: Scenario | None = None,
              facts: str | Path | None = None, seed: int | None = None, workers: int = 1,
              search: tuple[str, ...] = (), matcher: str = "durable-rules", progress: Progress | None = None,
              on_value: Callable[[int], None] | None = None, scheduler: str | None = None) -> SweepReport:
    """A full comparison per value in ``out``/value_N (drafts in ``out``/drafts); bad parameters fail before any run."""
    out = Path(out)
    drafts = out / "drafts"
    drafts.mkdir(parents=True, exist_ok=True)
    base_src = ReplayRuleset.from_file(baseline_path, search)
    baseline = base_src.load()
    texts = {v: draft_text(baseline, spec, v) for v in spec.values}  # every problem before any run
    search = (*search, str(Path(baseline_path).resolve().parent))
    rows, first = [], None
    for value in spec.values:
        if on_value:
            on_value(value)
        draft = drafts / f"{spec.label.replace('.', '_')}_{value}.yaml"
        draft.write_text(texts[value], encoding="utf-8")
        outcome = simulate(baseline_path, draft, scenario=scenario, facts=facts, seed=seed, workers=workers,
                           search=search, progress=progress, matcher=matcher, scheduler=scheduler)
        write_outputs(outcome, out / f"value_{value}")
        report = outcome.report
        first = first or report
        totals = {t.metric: t for t in report.totals}
        rule = next(r for r in report.rules if r.rule_id == spec.rule)
        gap = report.fairness.zone_gap
        rows.append(SweepRow(
            value=value, candidate=report.candidate.ref, points_net=totals["points_net"].candidate,
            delta_points_net=totals["points_net"].delta, rule_points=rule.candidate.net,
            rule_residents_reached=rule.candidate.residents_reached, rule_limit_bound=rule.candidate.limit_bound,
            gainers=report.residents.distribution.gainers, losers=report.residents.distribution.losers,
            zone_gap=gap.candidate_mean_gap if gap else None,
            outstanding_points=report.liability.candidate.outstanding_points,
            outstanding_yuan=report.liability.candidate.outstanding_yuan))
    assert first is not None
    base_totals = {t.metric: t for t in first.totals}
    gap = first.fairness.zone_gap
    title = next(r.title for r in first.rules if r.rule_id == spec.rule)
    sweep = SweepReport(matcher=first.matcher, baseline=baseline.ref, baseline_title=baseline.title,
                        parameter=spec.label, rule_title=title,
                        baseline_points_net=base_totals["points_net"].baseline,
                        baseline_zone_gap=r4(gap.baseline_mean_gap) if gap else None, rows=rows)
    (out / "sweep.json").write_text(sweep.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out / "sweep.html").write_text(render_sweep_html(sweep), encoding="utf-8")
    return sweep


def render_sweep_html(sweep: SweepReport) -> str:
    """The sweep as one self-contained HTML page: the rows as a table, the trade-offs as charts."""
    values = [str(r.value) for r in sweep.rows]
    what = "分值" if sweep.parameter.endswith(".award") else "上限"
    charts = [
        lines(f"净发放积分随{what}变化", values, [("候选", CAND, [r.points_net for r in sweep.rows]),
                                           ("基线", BASE, [sweep.baseline_points_net] * len(sweep.rows))]),
        lines(f"该规则覆盖人数与触顶次数随{what}变化", values,
              [("覆盖人数", UP, [r.rule_residents_reached for r in sweep.rows]),
               ("触顶次数", CAND, [r.rule_limit_bound for r in sweep.rows])]),
        lines(f"未兑换积分（负债）随{what}变化", values, [("候选", CAND, [r.outstanding_points for r in sweep.rows])]),
    ]
    gaps = [r.zone_gap for r in sweep.rows if r.zone_gap is not None]
    if len(gaps) == len(sweep.rows):  # every value has a zone gap
        charts.append(lines(f"分区人均积分差（第一分区 − 第二分区）随{what}变化", values,
                            [("候选", CAND, gaps), ("基线", BASE, [sweep.baseline_zone_gap or 0.0] * len(gaps))]))
    table = _table(["取值", "净发放积分", "较基线", "该规则积分", "覆盖人数", "触顶次数", "增加人数", "减少人数",
                    "分区差", "未兑换积分", "负债（元）"],
                   [[r.value, r.points_net, r.delta_points_net, r.rule_points, r.rule_residents_reached,
                     r.rule_limit_bound, r.gainers, r.losers, "—" if r.zone_gap is None else f"{r.zone_gap:+.2f}",
                     r.outstanding_points, "—" if r.outstanding_yuan is None else _num(r.outstanding_yuan)]
                    for r in sweep.rows])
    style = ('body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif;'
             "margin:2em auto;max-width:1000px;color:#222;padding:0 1em}table{border-collapse:collapse;font-size:13px}"
             "th,td{border:1px solid #ddd;padding:3px 8px}td.n{text-align:right}svg.chart{display:block;margin:1em 0}")
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>参数扫描：{_t(sweep.rule_title)}</title><style>{style}</style></head><body>"
            f"<h1>参数扫描：{_t(sweep.rule_title)}（{_t(sweep.parameter)}）</h1>"
            f"<p>基线：{_t(sweep.baseline_title)}（{_t(sweep.baseline)}），"
            f"匹配引擎：{_t(MATCHERS.get(sweep.matcher, sweep.matcher))}。"
            "每个取值一份完整报告见 value_N/report.html。</p>"
            + table + "".join(charts) + "</body></html>\n")
