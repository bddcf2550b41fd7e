"""A small test standard (``civic``) with fixed numbers, independent of the repository's rulesets."""

from __future__ import annotations

CIVIC_V1 = """\
id: civic
version: 1
title: 测试标准
community: test community
effective_from: 2021-01-01
accounts:
  starting_index: 100
  points_expire: {after_months: 24}
tiers:
  - {id: A, title: 良好, index_from: 110}
  - {id: B, title: 一般, index_from: 90, index_below: 110}
  - {id: C, title: 警示, index_below: 90}
categories:
  - {id: participation, title: 社区活动}
  - {id: environment, title: 环境卫生, limits: [{period: month, max: 20}]}
  - {id: violations, title: 违规扣分}
fact_types:
  - id: activity
    title: 参加活动
    fields:
      name: {type: string}
  - id: cleanup
    title: 清理小广告
    fields:
      count: {type: int, min: 1, max: 100}
  - id: violation
    title: 违规
    fields:
      kind: {type: enum, values: [noise, parking]}
rules:
  - id: activity_join
    title: 参加社区活动
    category: participation
    fact: activity
    award: {points: 2}
    limits: [{period: month, max: 10}]
  - id: cleanup_count
    title: 清理小广告
    category: environment
    fact: cleanup
    award: {points: 1, per: count}
    limits: [{period: week, max: 12}]
  - id: noise
    title: 夜间扰民
    category: violations
    fact: violation
    when: {kind: noise}
    award: {points: -5}
  - id: parking
    title: 占用车位
    category: violations
    fact: violation
    when: {kind: parking}
    award: {points: -3}
tests:
  - name: activity gives 2
    facts:
      - {id: t1, type: activity, resident: r1, occurred_at: 2021-03-05T19:00:00+08:00, fields: {name: a}}
    expect:
      awards: [{fact: t1, rule: activity_join, amount: 2}]
      balances: {r1: {index: 102, points: 2, tier: B}}
"""

RULES = {"activity_join": 2, "cleanup_count": 1, "noise": -5, "parking": -3}
STARTING_INDEX = 100


def civic(version: int = 1, *, effective_from: str = "2021-01-01", effective_to: str | None = None,
          activity_points: int = 2, expected_activity: int | None = None) -> str:
    """The civic standard as another version: other dates, another award for joining an activity."""
    text = CIVIC_V1.replace("version: 1", f"version: {version}")
    text = text.replace("effective_from: 2021-01-01", f"effective_from: {effective_from}"
                        + (f"\neffective_to: {effective_to}" if effective_to else ""))
    text = text.replace("award: {points: 2}", f"award: {{points: {activity_points}}}")
    expected = activity_points if expected_activity is None else expected_activity
    year = effective_from[:4]
    return (text.replace("amount: 2}", f"amount: {expected}}}")
                .replace("index: 102, points: 2", f"index: {100 + expected}, points: {expected}")
                .replace("tier: B", f"tier: {'A' if 100 + expected >= 110 else 'B'}")
                .replace("2021-03-05T19", f"{year}-03-05T19"))
