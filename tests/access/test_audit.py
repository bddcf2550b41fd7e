"""The audit trail never silently drops a record: what is too long for a column is cut, on both backends."""

from __future__ import annotations

import uuid

from xinzhi.access import AuditNote, list_audit, record_audit


def test_a_long_path_and_community_are_cut_not_dropped(service):
    community = "c" + uuid.uuid4().hex * 4  # 129 characters: longer than the column
    record_audit(service, AuditNote("POST /" + "x" * 500, actor="token:t1", roles=["staff"], community=community),
                 status=404)
    stored = list_audit(service, community[:63] + "…", actor="token:t1")
    assert len(stored) == 1 and len(stored[0].action) == 300 and stored[0].action.endswith("…")
