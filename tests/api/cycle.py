"""Shared set-up for the community-cycle API tests: an app, tokens per role, a seeded community."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from tests.support.cycle_standard import CYCLE_V1
from xinzhi.access import create_token

ITEMS = [
    {"id": "soap", "kind": "goods", "title": "洗衣皂", "price": 5, "stock": 100},
    {"id": "papercut", "kind": "course", "title": "信易+非遗 剪纸课", "price": 8, "stock": 12},
    {"id": "physio", "kind": "service", "title": "白手杖理疗", "price": 10, "stock": 20, "min_tier": "A"},
]
RESIDENTS = [
    {"id": "n1", "name": "张三凤", "zone": "north", "household": "h1", "roles": ["alley_steward"]},
    {"id": "n2", "name": "李四", "zone": "north", "household": "h2"},
    {"id": "s1", "name": "王秀英", "zone": "south", "household": "h3", "roles": ["resident_representative"]},
    {"id": "s2", "name": "赵国庆", "zone": "south", "household": "h4"},
]


@dataclass
class Seeded:
    client: TestClient
    community: str
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens else {}

    def as_(self, role: str, method: str, path: str, **kwargs):
        headers = {**kwargs.pop("headers", {}), **self.headers(role)}
        return self.client.request(method, path.format(c=self.community), headers=headers, **kwargs)


def seed(client: TestClient) -> Seeded:
    """A community with the cycle standard, four residents, a catalogue, and a token per role."""
    service = client.app.state.service
    community = f"c{uuid.uuid4().hex[:10]}"
    admin = create_token(service, ["committee", "staff"]).token
    seeded = Seeded(client, community, {"admin": admin})
    ok = [seeded.as_("admin", "PUT", "/communities/{c}", json={"name": "亿和社区"}),
          seeded.as_("admin", "POST", "/communities/{c}/residents", json=RESIDENTS),
          seeded.as_("admin", "POST", "/communities/{c}/rulesets", content=CYCLE_V1.encode(),
                     headers={"content-type": "application/yaml"}),
          seeded.as_("admin", "POST", "/communities/{c}/rulesets/cycle/versions/1/publish"),
          seeded.as_("admin", "PUT", "/communities/{c}/shop/items", json=ITEMS)]
    assert all(r.status_code < 300 for r in ok), [r.text for r in ok]
    seeded.tokens.update(
        committee=create_token(service, ["committee"], community=community).token,
        staff=create_token(service, ["staff"], community=community).token,
        resident=create_token(service, ["resident"], community=community, resident="n1").token,
    )
    return seeded
