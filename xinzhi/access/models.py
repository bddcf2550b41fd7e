"""The audit trail as it crosses the service boundary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel


class AuditRead(BaseModel):
    """One audit record: who wrote what, acting with which roles, and the HTTP status it got."""

    seq: int
    community: str | None
    actor: str
    roles: list[str]
    action: str
    status: int
    detail: dict[str, Any] | None
    created_at: dt.datetime
