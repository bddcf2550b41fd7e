"""A small standard for the community cycle: activity points, council mediation, a reviewed rule."""

from __future__ import annotations

CYCLE_V1 = """\
id: cycle
version: 1
title: 测试标准（信用超市、议事会、审核）
community: test community
effective_from: 2021-01-01
publicity_days: 7
accounts:
  starting_index: 100
tiers:
  - {id: A, title: 良好, index_from: 110}
  - {id: B, title: 一般, index_from: 90, index_below: 110}
  - {id: C, title: 警示, index_below: 90}
categories:
  - {id: participation, title: 社区活动}
  - {id: mediation, title: 矛盾调解}
  - {id: culture, title: 非遗传承}
fact_types:
  - id: activity
    title: 参加活动
    fields:
      name: {type: string}
  - id: mediation
    title: 诚信议事会调解
    fields:
      case: {type: string}
      role: {type: enum, values: [mediator, party]}
      satisfaction: {type: int, min: 1, max: 5}
  - id: heritage
    title: 非遗传承活动
    fields:
      hours: {type: int, min: 1, max: 12}
rules:
  - id: activity_join
    title: 参加社区活动
    category: participation
    fact: activity
    award: {points: 5}
    note: 测试分值
  - id: mediation_mediator
    title: 调解员按满意度赋分
    category: mediation
    fact: mediation
    when: {role: mediator}
    award: {table: {field: satisfaction, values: {5: 5, 4: 3, 3: 1}, else: 0}}
    note: 测试分值
  - id: mediation_party
    title: 当事人接受调解按满意度赋分
    category: mediation
    fact: mediation
    when: {role: party}
    award: {table: {field: satisfaction, values: {5: 3, 4: 2, 3: 1}}}
    note: 测试分值
  - id: heritage_hours
    title: 非遗传承（需议事会审核）
    category: culture
    fact: heritage
    award: {points: 4, per: hours}
    review: committee
    note: 测试分值
tests:
  - name: activity gives 5
    facts:
      - {id: t1, type: activity, resident: r1, occurred_at: 2021-03-05T19:00:00+08:00, fields: {name: a}}
    expect:
      awards: [{fact: t1, rule: activity_join, amount: 5}]
"""
