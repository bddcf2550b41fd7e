"""The running sums the board reads are the ledger's sums, whatever wrote the entries.

Scoring (batches and imports), expiry, the shop, appeals and review all append through
``ledger.entries``; the sums it keeps in the same transaction must equal a full sum of the
ledger for every resident (the appeal property test checks the same after every step).
"""

from __future__ import annotations

import datetime as dt

from tests.ledger.test_service import CSV_OK
from tests.support.fixtures import new_community
from xinzhi.ledger import expire_points, totals_by_resident
from xinzhi.review import public_board
from xinzhi.scoring import import_facts_csv, post_facts

FAR_FUTURE = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def test_kept_sums_equal_the_ledger_after_scoring_imports_and_expiry(service):
    community = new_community(service)
    post_facts(service, community, [
        {"id": f"k{i}", "type": "cleanup", "resident": f"r{1 + i % 5}",
         "occurred_at": f"2021-03-0{1 + i % 9}T10:00:00+08:00", "fields": {"count": 1 + i % 7}} for i in range(40)])
    import_facts_csv(service, community, CSV_OK)
    expire_points(service, community, dt.date(2024, 1, 1))
    with service.db.reading() as session:
        kept = totals_by_resident(session, community)
        summed = totals_by_resident(session, community, until=FAR_FUTURE)
    assert kept == summed and len(kept) == 5
    board = public_board(service, community)
    shown = {line.index for zone in board.zones for line in zone.ranking}
    assert shown == {100 + t.index for t in summed.values()}
