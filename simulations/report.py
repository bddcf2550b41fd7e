"""The comparison of a baseline and a candidate ruleset over the same facts.

``build_report`` turns a run's summary (``shards.ReplayResult``) into a ``SimulationReport`` (pydantic, so the JSON
has a schema: ``SimulationReport.model_json_schema()``). The JSON is deterministic: no
timestamps, no absolute paths, no worker count, every list in a fixed order and every
float rounded — the same seed gives byte-identical JSON whatever the number of workers.

What a committee reads in it:
- ``totals``: points and index issued, deducted, redeemed and outstanding, per side;
- ``residents``: per-resident change (distribution, top gainers and losers);
- ``fairness``: per zone, origin and role: mean, median, share and Gini; the zone gap;
- ``rules``: per rule: points issued, residents reached, how often its limit bound, and
  the change it accounts for (per-rule changes add up exactly to the total change);
- ``tiers``: the migration matrix between baseline and candidate tiers;
- ``households``: the change by household (distribution, zones, and the tier migration
  where households hold the accounts), whenever the residents live in known households;
- ``liability``: what the credit supermarket owes: outstanding points (and yuan, when the
  scenario prices the shop's items), month by month, after the points each standard lets
  expire (``accounts.points_expire``), and how many expired;
- ``review``: the awards each standard holds for the committee's review (``review:
  committee``), by rule and by month: the committee's workload. The other sections count
  them as approved.

"Points" here are net redeemable points awarded over the period (awards minus deductions,
before shop redemptions), unless a field says otherwise. Gini is computed over those
points clipped at zero.

Totals, rules, limits and liability are over the accounts a standard keeps (residents, or
households). The per-resident sections are over residents whoever holds the accounts: where
households hold them, a resident's points are what their own facts earned for the household,
and their index and tier are the household's — so a switch from resident to household
accounts shows, person by person, whose tier moves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinzhi.engine import Ruleset
from xinzhi.engine.amounts import Amount

from .population import Scenario
from .replay import EXPIRED, HELD, HELD_POINTS, ISSUED, OUTSTANDING, REDEEMED, ReplayRuleset, reviewed_rules
from .shards import ReplayResult
from .summary import ZERO, RuleTally, Side, Spread, Summary, held_by, r4

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- models

class RulesetInfo(_Model):
    """Which ruleset a side ran: its ref, and the file name and SHA-256 that identify the exact text."""

    ref: str
    title: str
    file: str = Field(description="file name as given (no directory)")
    sha256: str
    lineage: list[str]


class SourceInfo(_Model):
    """Where the facts came from, and the residents and months they cover."""

    kind: str = Field(description="'scenario' (synthetic population), 'facts' (a JSONL/CSV file) or 'store' "
                                  "(facts recorded in the store for a period)")
    name: str
    title: str | None = None
    seed: int | None = None
    residents: int
    months: list[str]


class TotalRow(_Model):
    """One community-wide total (facts, awards, index or points) under each ruleset, and the change."""

    metric: str
    title: str
    baseline: Amount
    candidate: Amount
    delta: Amount
    rise_is: Literal["good", "bad", "neutral"] = Field(description="what a rise means to the committee: more "
                                                               "liability or more cut by limits is bad")


class Bin(_Model):
    """One histogram bar: the residents whose change of points falls in [low, high)."""

    low: int
    high: int = Field(description="exclusive")
    count: int


class DeltaDistribution(_Model):
    """How the change of points (candidate minus baseline) spreads over the residents."""

    residents: int
    gainers: int
    losers: int
    unchanged: int
    mean: float
    median: float
    p05: float
    p25: float
    p75: float
    p95: float
    min: Amount
    max: Amount
    histogram: list[Bin]


class ResidentDelta(_Model):
    """One resident under each ruleset (points, index, tier) and the rule that moved them most."""

    resident: str
    zone: str
    origin: str
    roles: list[str]
    baseline_points: Amount
    candidate_points: Amount
    delta_points: Amount
    baseline_index: Amount
    candidate_index: Amount
    baseline_tier: str
    candidate_tier: str
    main_rule: str | None = Field(description="the rule that changed this resident's points the most")
    main_rule_delta: Amount


class ResidentsSection(_Model):
    """The change per resident: its distribution and the residents who gain or lose the most."""

    distribution: DeltaDistribution
    top_gainers: list[ResidentDelta]
    top_losers: list[ResidentDelta]


class GroupSide(_Model):
    """One group's points under one ruleset: total, mean, median, share of the community and Gini."""

    total: Amount
    mean: float
    median: float
    share: float = Field(description="share of all points awarded to residents of the community")
    gini: float


class GroupStats(_Model):
    """A group of residents (all, a zone, an origin or a role) under each ruleset."""

    dimension: str = Field(description="'all', 'zone', 'origin' or 'role'")
    id: str
    title: str
    residents: int
    baseline: GroupSide
    candidate: GroupSide
    delta_mean: float
    delta_total: Amount


class ZoneGap(_Model):
    """How far apart the first two zones are in mean and median points, under each ruleset."""

    first: str
    second: str
    baseline_mean_gap: float = Field(description="mean points of the first zone minus the second's")
    candidate_mean_gap: float
    change: float
    baseline_median_gap: float
    candidate_median_gap: float
    baseline_ratio: float | None = Field(description="first zone's mean over the second's")
    candidate_ratio: float | None


class Fairness(_Model):
    """Points by group of residents, and the gap between the first two zones (if there are two)."""

    groups: list[GroupStats]
    zone_gap: ZoneGap | None


class RuleSide(_Model):
    """What one rule did under one ruleset: points issued and deducted, residents reached, limits hit."""

    issued: Amount = Field(description="positive points awarded")
    deducted: Amount = Field(description="points taken by deductions (a positive number)")
    net: Amount
    awards: int
    residents_reached: int = Field(description="accounts (residents, or households where they hold the accounts) "
                                               "that got a non-zero amount from the rule")
    limit_bound: int = Field(description="awards cut by a limit")
    points_cut: Amount = Field(description="points the limits withheld")


class RuleImpact(_Model):
    """One rule under each ruleset, and its part of the total change of points."""

    rule_id: str
    title: str
    category: str
    status: str = Field(description="unchanged, changed, added, removed, enabled, disabled")
    baseline: RuleSide
    candidate: RuleSide
    delta_net: Amount
    share_of_change: float | None = Field(description="delta_net over the total change of points")
    by_zone: dict[str, Amount] = Field(description="delta_net per zone (a household's is its first member's)")


class LimitBinding(_Model):
    """How often one limit cut an award, under each ruleset."""

    limit: str
    title: str = Field(description="the limit in words: whose (a rule's or a category's title), over what period")
    baseline: int
    candidate: int


class Attribution(_Model):
    """Which rules the total change of points comes from, and which rules were edited."""

    total_delta: Amount
    causes: list[str] = Field(description="rules whose points changed, largest change first")
    changed_rules: list[str] = Field(description="rules whose definition differs between the rulesets")
    note: str


class Unexercised(_Model):
    """A rule no fact of the replay could reach: its effect (and its cost) is not in this report."""

    rule_id: str
    title: str
    fact_type: str
    fact_type_title: str
    side: Literal["baseline", "candidate", "both"] = Field(description="the standard(s) that have the rule")
    message: str


class TierInfo(_Model):
    """A tier of either ruleset, as a row and column of the migration matrix."""

    id: str
    title: str


class TierMigration(_Model):
    """How many residents stay in, rise from or fall from each tier between the rulesets."""

    tiers: list[TierInfo]
    matrix: list[list[int]] = Field(description="rows: baseline tier, columns: candidate tier, in `tiers` order "
                                                "(highest tier first)")
    baseline_counts: list[int]
    candidate_counts: list[int]
    moved_up: int
    moved_down: int
    unchanged: int


class HouseholdsSection(_Model):
    """The change of points by household, whoever holds the accounts.

    Where a standard keeps accounts per household, a household's points are its account's
    (its own facts included); where residents hold them, the sum of its members' points.
    Counts named ``residents`` in the distribution and groups count households here.
    """

    households: int
    held_by: dict[str, str] = Field(description="who holds the accounts under each standard: resident or household")
    distribution: DeltaDistribution
    groups: list[GroupStats] = Field(description="all households, then by zone (a household's first member's)")
    tiers: TierMigration | None = Field(description="households' tiers; only where both standards keep accounts "
                                                    "per household (a resident-held standard gives no household "
                                                    "a tier)")
    note: str


class LiabilitySide(_Model):
    """What the credit supermarket paid out and still owes under one ruleset, at the end of the period."""

    points_earned: Amount
    points_deducted: Amount
    points_redeemed: Amount
    points_expired: Amount = Field(description="unspent points that expired within the period "
                                               "(accounts.points_expire), earliest-expiring spent first as in "
                                               "the ledger")
    points_expire_after_months: int | None = Field(description="the standard's expiry: unspent points expire at "
                                                               "the end of the month this many months after "
                                                               "the award; null: they never expire")
    redemptions: int
    redeemed_yuan: float
    outstanding_points: Amount = Field(description="sum of residents' positive balances at the end, after "
                                                   "redemptions and expiry")
    outstanding_yuan: float | None
    negative_balances: int = Field(description="residents whose deductions exceed what they hold")


class MonthRow(_Model):
    """Points issued, redeemed, expired and outstanding at the end of one month, under each ruleset."""

    month: str
    baseline_issued: Amount
    candidate_issued: Amount
    baseline_redeemed: Amount
    candidate_redeemed: Amount
    baseline_expired: Amount = Field(description="points that expired at the month's end")
    candidate_expired: Amount
    baseline_outstanding: Amount
    candidate_outstanding: Amount


class Liability(_Model):
    """What the credit supermarket owes under each ruleset, in points and (when priced) yuan, month by month."""

    yuan_per_point: float | None
    yuan_basis: str | None = Field(description="where the yuan figure comes from")
    baseline: LiabilitySide
    candidate: LiabilitySide
    delta_outstanding_points: Amount
    delta_outstanding_yuan: float | None
    monthly: list[MonthRow]
    note: str


class ReviewSide(_Model):
    """The awards one ruleset holds for the committee's review over the period."""

    rules: int = Field(description="rules with review: committee")
    awards: int = Field(description="awards the store would hold for review: of those rules, with a non-zero "
                                    "amount (each one a decision for the committee and, approved, a notice on "
                                    "the public board)")
    points: Amount = Field(description="their amounts, summed: the points that wait on the committee")
    publicity_days: int | None = Field(description="days an approved award stays on the public board (公示); null: "
                                                   "the standard leaves it to the service's default")


class ReviewRule(_Model):
    """One rule under review in either ruleset: its held awards and points under each."""

    rule_id: str
    title: str
    baseline_awards: int = Field(description="0 where the baseline does not review the rule")
    candidate_awards: int
    baseline_points: Amount
    candidate_points: Amount


class ReviewMonth(_Model):
    """The awards held for review in one month (by the moment of the fact), under each ruleset."""

    month: str
    baseline_awards: int
    candidate_awards: int
    baseline_points: Amount
    candidate_points: Amount


class ReviewSection(_Model):
    """Awards held for the committee's review (``review: committee``) and 公示, under each ruleset."""

    counted_in_totals: bool = Field(description="whether the totals, rules, residents, tiers and liability count "
                                                "these awards (as approved); the store counts one only once the "
                                                "committee approves it")
    baseline: ReviewSide
    candidate: ReviewSide
    rules: list[ReviewRule]
    monthly: list[ReviewMonth]
    note: str


class SimulationReport(_Model):
    """The comparison of a baseline and a candidate ruleset over the same facts (report.json)."""

    kind: str = "xinzhi.simulation"
    schema_version: int = SCHEMA_VERSION
    matcher: str
    baseline: RulesetInfo
    candidate: RulesetInfo
    source: SourceInfo
    rejected_facts: dict[str, dict[str, int]]
    unexercised: list[Unexercised] = Field(description="rules whose fact type the replay never had: read their "
                                                       "change as unknown, not as zero")
    totals: list[TotalRow]
    residents: ResidentsSection
    fairness: Fairness
    rules: list[RuleImpact]
    limits: list[LimitBinding]
    attribution: Attribution
    tiers: TierMigration
    households: HouseholdsSection | None = None
    liability: Liability
    review: ReviewSection


# ---------------------------------------------------------------- statistics

# ---------------------------------------------------------------- building the report

def ruleset_info(source: ReplayRuleset, ruleset: Ruleset) -> RulesetInfo:
    """The file name without its directory, so the JSON holds no absolute path."""
    return RulesetInfo(ref=ruleset.ref, title=ruleset.title, file=Path(source.name).name, sha256=source.digest,
                       lineage=list(ruleset.lineage))


def _side_group(values: Spread, community_total: Decimal) -> GroupSide:
    total = values.total
    return GroupSide(total=total, mean=values.mean(), median=values.median(),
                     share=r4(float(total / community_total)) if community_total else 0.0, gini=values.gini())


def _rule_side(side: Side, rule_id: str) -> RuleSide:
    tally = side.rules.get(rule_id, RuleTally())
    return RuleSide(issued=tally.issued, deducted=tally.deducted, net=tally.issued - tally.deducted,
                    awards=tally.awards, residents_reached=tally.reached, limit_bound=tally.bound,
                    points_cut=tally.cut)


def _distribution(values: Spread) -> DeltaDistribution:
    """How changes spread: quantiles, extremes and the histogram."""
    gainers, losers, unchanged = values.signs()
    low, high = values.bounds()
    return DeltaDistribution(
        residents=len(values), gainers=gainers, losers=losers, unchanged=unchanged, mean=values.mean(),
        median=values.quantile(0.5), p05=values.quantile(0.05), p25=values.quantile(0.25),
        p75=values.quantile(0.75), p95=values.quantile(0.95), min=low, max=high,
        histogram=[Bin(low=lo, high=hi, count=n) for lo, hi, n in values.histogram()])


def _group(dimension: str, gid: str, title: str, spreads: tuple[Spread, Spread],
           totals: tuple[Decimal, Decimal]) -> GroupStats:
    bs, cs = _side_group(spreads[0], totals[0]), _side_group(spreads[1], totals[1])
    return GroupStats(dimension=dimension, id=gid, title=title, residents=len(spreads[0]), baseline=bs, candidate=cs,
                      delta_mean=r4(cs.mean - bs.mean), delta_total=cs.total - bs.total)


def _migration(tiers: list[TierInfo], pairs: Counter[tuple[str, str]]) -> TierMigration:
    """The matrix of (baseline tier, candidate tier) pairs; a pair with a tier of neither standard is left out."""
    order = {t.id: i for i, t in enumerate(tiers)}
    matrix = [[0] * len(tiers) for _ in tiers]
    up = down = same = 0
    for (before, after), n in pairs.items():
        if before not in order or after not in order:
            continue
        matrix[order[before]][order[after]] += n
        if order[after] < order[before]:
            up += n
        elif order[after] > order[before]:
            down += n
        else:
            same += n
    return TierMigration(tiers=tiers, matrix=matrix, baseline_counts=[sum(row) for row in matrix],
                         candidate_counts=[sum(col) for col in zip(*matrix, strict=True)] if matrix else [],
                         moved_up=up, moved_down=down, unchanged=same)


def _every_rule(ruleset: Ruleset) -> list[Any]:
    """The rules of facts, then the period rules (streaks, absences): both pay, so both are in the per-rule table.

    Found by use: period rules were left out, so their change was attributed to nothing ("变化来自：无")
    while the report said the rules' changes add up to the total.
    """
    return [*ruleset.rules, *ruleset.period_rules]


def _rule_fingerprint(ruleset: Ruleset, rule_id: str) -> dict | None:
    for rule in _every_rule(ruleset):
        if rule.id == rule_id:
            data = rule.model_dump(mode="json", exclude={"note", "title"})
            category = next((c for c in ruleset.categories if c.id == rule.category), None)
            data["category_limits"] = ([lim.model_dump(mode="json") for lim in (category.limits or [])]
                                       if category else [])
            return data
    return None


def _status(base: dict | None, cand: dict | None) -> str:
    if base is None:
        return "added"
    if cand is None:
        return "removed"
    if base.get("enabled", True) and not cand.get("enabled", True):
        return "disabled"
    if not base.get("enabled", True) and cand.get("enabled", True):
        return "enabled"
    return "unchanged" if base == cand else "changed"


def _tier_list(base: Ruleset, cand: Ruleset) -> list[TierInfo]:
    """Both rulesets' tiers, highest first (by the index they start from)."""
    tiers: dict[str, tuple[str, float]] = {}
    for ruleset in (base, cand):
        for tier in ruleset.tiers or []:
            start = tier.index_from if tier.index_from is not None else float("-inf")
            tiers.setdefault(tier.id, (tier.title, start))
    ordered = sorted(tiers.items(), key=lambda kv: -kv[1][1])
    return [TierInfo(id=k, title=title) for k, (title, _) in ordered]


def build_report(result: ReplayResult, baseline: tuple[ReplayRuleset, Ruleset],
                 candidate: tuple[ReplayRuleset, Ruleset], source: SourceInfo,
                 scenario: Scenario | None = None, names: GroupNames | None = None) -> SimulationReport:
    """The whole comparison from the run's summary; ``scenario`` prices the shop in yuan.

    Zones and roles are ordered and titled by ``names`` (default: the scenario's).
    """
    names = names or (GroupNames.of(scenario) if scenario else GroupNames())
    base_src, base_rs = baseline
    cand_src, cand_rs = candidate
    summary = result.summary
    B, C = summary.baseline, summary.candidate
    people, homes = summary.residents, summary.households

    # ---- totals
    def sums(side: Side, ruleset: Ruleset) -> dict[str, Decimal | int]:  # amounts, and counts
        rejected = sum(side.rejected.values())
        awards, points = side.review(reviewed_rules(ruleset))
        return {"facts_scored": side.facts - rejected, "facts_rejected": rejected, "awards": side.awards,
                **{k: side.sums.get(k, 0) for k in ("awards_limited", "points_cut_by_limits", "index_net",
                                                     "points_earned", "points_deducted", "points_net",
                                                     "points_redeemed", "points_expired", "points_outstanding")},
                "review_awards": awards, "review_points": points}
    titles = {
        "facts_scored": "计分事实数", "facts_rejected": "被拒事实数", "awards": "赋分/扣分条数",
        "awards_limited": "受上限截断条数", "points_cut_by_limits": "上限截去积分", "index_net": "诚信指数净增",
        "points_earned": "发放积分", "points_deducted": "扣除积分", "points_net": "净发放积分",
        "points_redeemed": "兑换积分", "points_expired": "到期作废积分", "points_outstanding": "未兑换积分（负债）",
        "review_awards": "待审核奖励条数", "review_points": "待审核积分",
    }
    sb, sc = sums(B, base_rs), sums(C, cand_rs)
    totals = [TotalRow(metric=k, title=titles[k], baseline=sb[k], candidate=sc[k], delta=sc[k] - sb[k],
                       rise_is=RISE_IS.get(k, "neutral")) for k in titles]

    # ---- per rule
    rule_ids = list(dict.fromkeys([r.id for r in _every_rule(base_rs)] + [r.id for r in _every_rule(cand_rs)]))
    titles_by_rule = {r.id: (r.title, r.category) for r in _every_rule(base_rs)}
    titles_by_rule.update({r.id: (r.title, r.category) for r in _every_rule(cand_rs)})
    zones = sorted({gid for crowd in (people, homes) for dim, gid in crowd.groups if dim == "zone"},
                   key=names.zone_order)
    total_delta = sc["points_net"] - sb["points_net"]
    rules, changed = [], []
    for rule_id in rule_ids:
        bside, cside = _rule_side(B, rule_id), _rule_side(C, rule_id)
        status = _status(_rule_fingerprint(base_rs, rule_id), _rule_fingerprint(cand_rs, rule_id))
        if status != "unchanged":
            changed.append(rule_id)
        by_zone = {z: C.by_zone.get((rule_id, z), ZERO) - B.by_zone.get((rule_id, z), ZERO) for z in zones}
        delta = cside.net - bside.net
        rules.append(RuleImpact(rule_id=rule_id, title=titles_by_rule[rule_id][0], category=titles_by_rule[rule_id][1],
                                status=status, baseline=bside, candidate=cside, delta_net=delta,
                                share_of_change=r4(float(delta / total_delta)) if total_delta else None,
                                by_zone=by_zone))
    causes = [r.rule_id for r in sorted(rules, key=lambda r: (-abs(r.delta_net), r.rule_id)) if r.delta_net]
    attribution = Attribution(
        total_delta=total_delta, causes=causes, changed_rules=changed,
        note="各规则的积分变化之和恰等于总变化。定义未改的规则也可能因与改动规则共用类别上限而变化。")

    limits = [LimitBinding(limit=name, title=limit_title(name, (cand_rs, base_rs)), baseline=B.limits.get(name, 0),
                           candidate=C.limits.get(name, 0))
              for name in sorted(set(B.limits) | set(C.limits))]

    # ---- per resident
    distribution = _distribution(people.deltas)
    gainers = [ResidentDelta(**vars(m)) for m in summary.gainers]
    losers = [ResidentDelta(**vars(m)) for m in summary.losers]

    # ---- fairness
    everyone_spreads = people.groups.get(("all", "all"), (Spread(), Spread()))
    everyone = (everyone_spreads[0].total, everyone_spreads[1].total)
    groups: list[GroupStats] = []

    def add_group(dimension: str, gid: str, title: str) -> None:
        if (dimension, gid) in people.groups:
            groups.append(_group(dimension, gid, title, people.groups[(dimension, gid)], everyone))

    add_group("all", "all", "全体居民")
    for zone in zones:
        add_group("zone", zone, names.zone_title(zone))
    for origin in sorted(gid for dim, gid in people.groups if dim == "origin"):
        if origin != "unknown":
            add_group("origin", origin, _ORIGIN_TITLES.get(origin, origin))
    role_titles = names.roles
    held_roles = {gid for dim, gid in people.groups if dim == "role"} - {"none"}
    for role in list(role_titles) + sorted(held_roles - set(role_titles)):
        add_group("role", role, role_titles.get(role, role))
    if scenario:
        add_group("role", "none", "无特定身份")
    zone_groups = [g for g in groups if g.dimension == "zone" and g.id != "unknown"]
    gap = None
    if len(zone_groups) >= 2:
        za, zb = zone_groups[0], zone_groups[1]
        gap = ZoneGap(
            first=za.id, second=zb.id, baseline_mean_gap=r4(za.baseline.mean - zb.baseline.mean),
            candidate_mean_gap=r4(za.candidate.mean - zb.candidate.mean),
            change=r4((za.candidate.mean - zb.candidate.mean) - (za.baseline.mean - zb.baseline.mean)),
            baseline_median_gap=r4(za.baseline.median - zb.baseline.median),
            candidate_median_gap=r4(za.candidate.median - zb.candidate.median),
            baseline_ratio=r4(za.baseline.mean / zb.baseline.mean) if zb.baseline.mean else None,
            candidate_ratio=r4(za.candidate.mean / zb.candidate.mean) if zb.candidate.mean else None)

    # ---- tiers
    tiers = _tier_list(base_rs, cand_rs)
    migration = _migration(tiers, people.tiers)
    households = _households_section(summary, (base_rs, cand_rs), zones, names, tiers) if homes.count else None

    # ---- liability
    ypp = basis = None
    if scenario and scenario.shop:
        ratios = [i.cost_yuan / i.price_points for i in scenario.shop.items]
        ypp = r4(sum(ratios) / len(ratios))
        basis = (f"按情景「{scenario.title}」中信用超市 {len(ratios)} 种商品每分的平均成本（成本 ÷ 所需积分）"
                 f" {ypp} 元/分估算。")

    def liability_side(side: Side, s: dict[str, Decimal | int], ruleset: Ruleset) -> LiabilitySide:
        outstanding = s["points_outstanding"]
        expiry = ruleset.accounts.points_expire if ruleset.accounts is not None else None
        return LiabilitySide(
            points_earned=s["points_earned"], points_deducted=s["points_deducted"],
            points_redeemed=s["points_redeemed"], points_expired=s["points_expired"],
            points_expire_after_months=expiry.after_months if expiry is not None else None,
            redemptions=side.sums.get("redemptions", 0), redeemed_yuan=r4(float(side.sums.get("redeemed_yuan", 0))),
            outstanding_points=outstanding, outstanding_yuan=r4(float(outstanding) * ypp) if ypp is not None else None,
            negative_balances=side.sums.get("negative_balances", 0))
    lb, lc = liability_side(B, sb, base_rs), liability_side(C, sc, cand_rs)
    delta_yuan = None  # the sides have yuan exactly when the scenario prices the shop (ypp)
    if lc.outstanding_yuan is not None and lb.outstanding_yuan is not None:
        delta_yuan = r4(lc.outstanding_yuan - lb.outstanding_yuan)
    monthly = [MonthRow(month=m, baseline_issued=B.monthly[m][ISSUED], candidate_issued=C.monthly[m][ISSUED],
                        baseline_redeemed=B.monthly[m][REDEEMED], candidate_redeemed=C.monthly[m][REDEEMED],
                        baseline_expired=B.monthly[m][EXPIRED], candidate_expired=C.monthly[m][EXPIRED],
                        baseline_outstanding=B.monthly[m][OUTSTANDING],
                        candidate_outstanding=C.monthly[m][OUTSTANDING])
               for m in result.months]
    liability = Liability(
        yuan_per_point=ypp, yuan_basis=basis, baseline=lb, candidate=lc,
        delta_outstanding_points=lc.outstanding_points - lb.outstanding_points,
        delta_outstanding_yuan=delta_yuan,
        monthly=monthly,
        note="未兑换积分为期末各账户（居民或家庭）正余额之和，已扣除兑换和到期作废的积分；兑换行为按情景中的信用超市参数模拟"
             "（两方案使用相同随机数），每月月末兑换一次。到期作废与正式账本相同：按各标准的积分有效期，扣分和兑换先用最早到期的"
             "积分，到期当日仍未用完的部分在次日零时作废；模拟期短于有效期时不会有积分作废。")

    review = _review_section(result, (base_rs, cand_rs), (sb, sc))

    return SimulationReport(
        matcher=result.matcher, baseline=ruleset_info(base_src, base_rs), candidate=ruleset_info(cand_src, cand_rs),
        source=source, rejected_facts={"baseline": dict(sorted(B.rejected.items())),
                                       "candidate": dict(sorted(C.rejected.items()))},
        unexercised=_unexercised(summary, base_rs, cand_rs), totals=totals,
        residents=ResidentsSection(distribution=distribution, top_gainers=gainers, top_losers=losers),
        fairness=Fairness(groups=groups, zone_gap=gap), rules=rules, limits=limits, attribution=attribution,
        tiers=migration, households=households, liability=liability, review=review)


def _review_section(result: ReplayResult, rulesets: tuple[Ruleset, Ruleset],
                    sums: tuple[dict[str, Decimal | int], dict[str, Decimal | int]]) -> ReviewSection:
    """What each standard leaves to the committee: awards held for review, by rule and by month."""
    reviewed = [reviewed_rules(ruleset) for ruleset in rulesets]
    sides = (result.summary.baseline, result.summary.candidate)
    titles = {rule.id: rule.title for ruleset in rulesets for rule in ruleset.rules}  # the candidate's title wins
    totals = [ReviewSide(rules=len(ids), awards=int(s["review_awards"]), points=s["review_points"],
                         publicity_days=ruleset.publicity_days)
              for ids, s, ruleset in zip(reviewed, sums, rulesets, strict=True)]
    rules = []
    either = reviewed[0] | reviewed[1]
    for rule_id in dict.fromkeys(r.id for ruleset in rulesets for r in ruleset.rules if r.id in either):
        (base_awards, base_points), (cand_awards, cand_points) = (
            side.review(ids & {rule_id}) for side, ids in zip(sides, reviewed, strict=True))
        rules.append(ReviewRule(rule_id=rule_id, title=titles[rule_id], baseline_awards=base_awards,
                                candidate_awards=cand_awards, baseline_points=base_points,
                                candidate_points=cand_points))
    B, C = sides[0].monthly, sides[1].monthly
    monthly = [ReviewMonth(month=m, baseline_awards=int(B[m][HELD]), candidate_awards=int(C[m][HELD]),
                           baseline_points=B[m][HELD_POINTS], candidate_points=C[m][HELD_POINTS])
               for m in result.months]
    return ReviewSection(
        counted_in_totals=True, baseline=totals[0], candidate=totals[1], rules=rules, monthly=monthly,
        note="标为委员会审核的规则，其奖励在正式账本中先冻结：批准前不能兑换、不计入诚信指数，"
             "批准后在公示栏公示，驳回则不发放。本报告的总量、规则、居民、等级和负债均按这些奖励全部获批计入；"
             "若全部驳回，净发放积分将少去上述待审核积分。审核期间暂不能兑换的时间差未模拟。")


def _households_section(summary: Summary, rulesets: tuple[Ruleset, Ruleset], zones: list[str], names: GroupNames,
                        tiers: list[TierInfo]) -> HouseholdsSection:
    """The change by household: each side's household points, their spread and zones, and households' tiers."""
    held = [held_by(ruleset) for ruleset in rulesets]
    homes = summary.households
    all_spreads = homes.groups[("all", "all")]
    everyone = (all_spreads[0].total, all_spreads[1].total)
    groups = [_group("all", "all", "全体家庭", all_spreads, everyone)]
    for zone in zones:
        if ("zone", zone) in homes.groups:
            groups.append(_group("zone", zone, names.zone_title(zone), homes.groups[("zone", zone)], everyone))
    migration = _migration(tiers, homes.tiers) if held == ["household", "household"] else None
    return HouseholdsSection(
        households=homes.count, held_by={"baseline": held[0], "candidate": held[1]},
        distribution=_distribution(homes.deltas), groups=groups, tiers=migration,
        note="按家庭：家庭持有账户时为家庭账户的积分（含户的事实），居民持有账户时为家庭成员积分之和；"
             "家庭的分区按其第一位成员。")


RISE_IS: dict[str, Literal["good", "bad", "neutral"]] = {
    "facts_rejected": "bad", "awards_limited": "bad", "points_cut_by_limits": "bad", "points_outstanding": "bad"}
PERIOD_WORDS = {"day": "每日", "week": "每周", "month": "每月", "quarter": "每季度", "year": "每年"}


def limit_title(key: str, rulesets: Sequence[Ruleset]) -> str:
    """``category:environment/month`` as 类别「环境卫生」每月上限, from the first ruleset that names it."""
    owner, _, rest = key.partition("/")
    scope, _, owner_id = owner.partition(":")
    period, *flags = rest.split("/")
    things = [(r.id, r.title) for rs in rulesets for r in rs.rules] if scope == "rule" else \
        [(c.id, c.title) for rs in rulesets for c in rs.categories]
    title = next((t for i, t in things if i == owner_id), owner_id)
    span = PERIOD_WORDS.get(period) or (f"每 {period[:-1]} 天" if period.endswith("d") else period)
    return (f"{'规则' if scope == 'rule' else '类别'}「{title}」{span}{'扣分' if 'deductions' in flags else ''}上限"
            + ("（每位成员）" if "member" in flags else ""))


def _unexercised(summary: Summary, baseline: Ruleset, candidate: Ruleset) -> list[Unexercised]:
    """Rules whose fact type no replayed fact had, on the side(s) that have them."""
    sides: dict[str, tuple[str, str, list[str]]] = {}
    fact_titles = {t.id: t.title for ruleset in (baseline, candidate) for t in ruleset.fact_types}
    for name, ruleset, replayed in (("baseline", baseline, summary.baseline),
                                    ("candidate", candidate, summary.candidate)):
        for rule in ruleset.rules:
            if rule.enabled and rule.fact and not replayed.fact_types.get(rule.fact):
                title, fact, seen = sides.setdefault(rule.id, (rule.title, rule.fact, []))
                seen.append(name)
    out = []
    for rule_id, (title, fact, seen) in sides.items():
        side: Literal["baseline", "candidate", "both"] = "both" if len(seen) == 2 else \
            "baseline" if seen == ["baseline"] else "candidate"
        fact_title = fact_titles.get(fact, fact)
        out.append(Unexercised(rule_id=rule_id, title=title, fact_type=fact, fact_type_title=fact_title, side=side,
                               message=f"规则「{title}」：模拟中没有任何「{fact_title}」事实，它的影响（含成本）不在本报告中，"
                                       "不是 0。"))
    return out


_ORIGIN_TITLES = {"local": "本地居民", "elsewhere": "外来居民"}


@dataclass(frozen=True)
class GroupNames:
    """How a report orders and titles zones and roles: a scenario's, or the community's own configuration."""

    zones: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: Scenario) -> GroupNames:
        """The zones and roles a synthetic scenario declares."""
        return cls({z.id: z.title for z in scenario.zones}, {r.id: r.title for r in scenario.roles})

    def zone_title(self, zone: str) -> str:
        """The declared title; residents of no known zone are 未知."""
        return self.zones.get(zone, "未知" if zone == "unknown" else zone)

    def zone_order(self, zone: str) -> tuple[int, str]:
        """Declared zones in their order, any other after them by id."""
        ids = list(self.zones)
        return (ids.index(zone), zone) if zone in ids else (10_000, zone)


def report_json(report: SimulationReport) -> str:
    """The text of report.json: the same report always gives the same bytes."""
    return report.model_dump_json(indent=2) + "\n"


def schema_json() -> str:
    """The text of report.schema.json, kept beside this module (a test checks that it is current)."""
    import json
    return json.dumps(SimulationReport.model_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
