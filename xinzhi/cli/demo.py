"""A demo community so a newcomer sees real numbers at once.

Seeds community ``yihe`` with a few hundred residents in the north zone (relocated
villagers) and the south zone (newer residents from elsewhere), in households, with
roles, and a few months of facts up to today, all scored through ``post_facts`` (the
same path as the API). Field values are drawn from each fact type's declared fields, so
the demo follows whatever the ruleset in force says. Seeded: the same day gives the
same demo.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from xinzhi.communities import (
    CommunityCreate,
    Label,
    ResidentCreate,
    create_community,
    open_community,
    register_residents,
)
from xinzhi.engine import SHANGHAI
from xinzhi.engine.ruleset import FactType, FieldSpec
from xinzhi.registry import standard_for
from xinzhi.scoring import post_facts
from xinzhi.service import Service
from xinzhi.shop import ItemCreate, put_items

DEMO_COMMUNITY = "yihe"
# Yihe describes itself so; another community declares its own (PUT /communities/{c}).
YIHE_ZONES = [Label(id="north", title="北区"), Label(id="south", title="南区")]
YIHE_ROLES = [Label(id=i, title=t) for i, t in (
    ("party_member", "党员"), ("alley_steward", "街巷长"), ("grid_worker", "网格员"), ("council_member", "议事会成员"),
    ("resident_representative", "居民代表"), ("owners_committee_member", "业委会委员"), ("volunteer", "志愿者"))]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎江"
GIVEN = "秀英桂兰玉凤建国志强海燕丽娟德明春生淑珍文华金花永福晓东红梅国庆立新婷婷子涵浩然思远雨欣俊杰"
# How often each kind of fact happens per resident per month, by zone (illustrative).
RATES = {
    "north": {"community_activity": 1.2, "alley_steward_duty": 0.6, "owners_meeting": 0.2, "small_ad_cleanup": 0.3,
              "garbage_check": 1.0, "competition": 0.15, "volunteering": 0.6, "mediation": 0.08, "violation": 0.06},
    "south": {"community_activity": 0.6, "alley_steward_duty": 0.3, "owners_meeting": 0.4, "small_ad_cleanup": 0.2,
              "garbage_check": 1.0, "competition": 0.25, "volunteering": 0.8, "mediation": 0.1, "violation": 0.1},
}


# The credit supermarket's demo catalogue (prices illustrative): goods, 信易+非遗 courses, 白手杖 services.
DEMO_ITEMS = [
    ItemCreate(id="soap", kind="goods", title="洗衣皂", price=10, stock=200),
    ItemCreate(id="rice-5kg", kind="goods", title="大米 5 公斤", price=60, stock=50),
    ItemCreate(id="cooking-oil", kind="goods", title="花生油 1 升", price=40, stock=80),
    ItemCreate(id="papercut-course", kind="course", title="信易+非遗 剪纸课（一期）", price=30, stock=20),
    ItemCreate(id="kite-course", kind="course", title="信易+非遗 风筝扎制课", price=30, stock=15),
    ItemCreate(id="physio-session", kind="service", title="白手杖 理疗一次", price=50, stock=40, min_tier="A"),
]


def _name(rng: random.Random) -> str:
    given = "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    return rng.choice(SURNAMES) + given


def _residents(rng: random.Random, per_zone: int) -> list[ResidentCreate]:
    residents = []
    for zone, prefix in (("north", "N"), ("south", "S")):
        number, household = 0, 0
        while number < per_zone:
            household += 1
            for _ in range(min(rng.choice((1, 2, 2, 3, 3, 4)), per_zone - number)):
                number += 1
                roles = [role for role, share in (("party_member", 0.12), ("alley_steward", 0.08),
                                                  ("grid_worker", 0.02), ("council_member", 0.03),
                                                  ("resident_representative", 0.04), ("volunteer", 0.2))
                         if rng.random() < share]
                residents.append(ResidentCreate(id=f"{prefix}{number:03d}", name=_name(rng), zone=zone,
                                                household=f"{prefix}H{household:03d}", roles=roles))
    return residents


def _value(rng: random.Random, name: str, spec: FieldSpec) -> Any:
    if spec.type == "enum":
        values = spec.values or []
        if name == "result" and "failed" in values:  # most checks pass
            return rng.choices(values, weights=[3 if v != "failed" else 1 for v in values])[0]
        return rng.choice(values)
    if spec.type in ("int", "number"):
        low = spec.min if spec.min is not None else 0
        high = min(spec.max if spec.max is not None else low + 10, low + 10)
        if name == "satisfaction":
            return rng.choices([5, 4, 3, 2, 1], weights=[5, 4, 2, 1, 1])[0]
        value = rng.uniform(low, high) if spec.type == "number" else rng.randint(int(low), int(high))
        return round(value * 2) / 2 if spec.type == "number" else value
    if spec.type == "bool":
        return rng.random() < 0.3
    if spec.type == "date":
        return dt.date.today().isoformat()
    return f"demo-{rng.randint(1, 999)}"


def _fields(rng: random.Random, fact_type: FactType) -> dict[str, Any]:
    return {name: _value(rng, name, spec) for name, spec in fact_type.fields.items()
            if spec.required or rng.random() < 0.5}


def seed_demo(service: Service, *, residents_per_zone: int = 150, months: int = 4, seed: int = 2021,
              today: dt.date | None = None) -> dict[str, int]:
    """Seed the demo community (once: nothing happens if it already has residents)."""
    rng = random.Random(seed)
    end = today or dt.datetime.now(SHANGHAI).date()
    start = end - dt.timedelta(days=30 * months)
    if open_community(service, DEMO_COMMUNITY, "亿和社区（演示）").residents:
        return {"residents": 0, "facts": 0}
    create_community(service, CommunityCreate(id=DEMO_COMMUNITY, name="亿和社区（演示）", zones=YIHE_ZONES,
                                              roles=YIHE_ROLES))
    ruleset = standard_for(service, DEMO_COMMUNITY, end)
    people = _residents(rng, residents_per_zone)
    register_residents(service, DEMO_COMMUNITY, people)
    put_items(service, DEMO_COMMUNITY, DEMO_ITEMS)
    if ruleset is None:
        return {"residents": len(people), "facts": 0}
    types = {t.id: t for t in ruleset.fact_types}
    facts: list[dict[str, Any]] = []
    days = (end - start).days
    for person in people:
        for type_id, fact_type in types.items():
            rate = RATES[person.zone].get(type_id, 0.3)
            if type_id == "alley_steward_duty" and "alley_steward" not in person.roles:
                rate *= 0.1
            count = sum(rng.random() < rate / 8 for _ in range(4 * months))
            for _ in range(count):
                moment = dt.datetime.combine(start + dt.timedelta(days=rng.randrange(days)),
                                             dt.time(rng.randint(8, 20), rng.choice((0, 15, 30, 45))), SHANGHAI)
                facts.append({"id": f"demo-{len(facts) + 1:06d}", "type": type_id, "resident": person.id,
                              "occurred_at": moment.isoformat(), "fields": _fields(rng, fact_type)})
    facts.sort(key=lambda f: f["occurred_at"])
    for begin in range(0, len(facts), service.settings.max_batch_facts):
        post_facts(service, DEMO_COMMUNITY, facts[begin:begin + service.settings.max_batch_facts])
    return {"residents": len(people), "facts": len(facts)}
