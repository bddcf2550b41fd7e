"""A roster imported twice at once registers each resident once and counts each as added once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.support.fixtures import new_community
from xinzhi.communities import import_roster, list_residents

ROSTER = ("编号,姓名,分区\r\n" + "".join(f"c{i},居民{i},north\r\n" for i in range(300))).encode()


def test_two_imports_at_once_add_each_resident_once(service):
    community = new_community(service, residents=0, ruleset=None)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: import_roster(service, community, ROSTER, fmt="csv", name="roster.csv"),
                             range(4)))
    assert sum(run.added for run in runs) == 300
    assert all(run.added + run.updated == 300 for run in runs)
    assert len(list_residents(service, community, limit=None)) == 300
