"""A roster of residents as an office keeps it (花名册): a spreadsheet in, a blank one out.

A community office registers its residents from the roster it already keeps in Excel, not one
JSON record at a time. The file is read as a file of facts is (``engine.factfiles``: CSV in
UTF-8, GBK or UTF-16, or .xlsx; a header by key or by title, ``姓名（name）`` or ``姓名``). A
zone or a role may be written by its id or by the title the community gave it (第一村民小组,
村干部); roles are separated by 、 , ; or spaces. Every row is checked before any is stored,
each problem names its row, and a registration is the whole record, as ``register_residents``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from xinzhi.communities.models import ResidentCreate
from xinzhi.communities.service import register_residents, require_community
from xinzhi.db.tables import Resident
from xinzhi.engine import FactError, Problem
from xinzhi.engine.errors import input_problems
from xinzhi.engine.factfiles import table_rows
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.service import Service
from xinzhi.spreadsheets import titled

#: The columns of a roster, by key, with the titles a blank roster is headed with.
COLUMNS = {"id": "编号", "name": "姓名", "zone": "分区", "household": "家庭", "roles": "身份", "moved_in": "入住日期"}
REQUIRED = ("id", "name", "zone")
_SEPARATORS = re.compile(r"[、,，;；\s]+")
_ROW_PATH = re.compile(r"\[(\d+)\]\.?(.*)")


class RosterImport(BaseModel):
    """What a roster did: its rows, the residents it added and those it updated."""

    rows: int
    added: int
    updated: int


def roster_template(service: Service, community: str) -> tuple[list[str], list[list[str]]]:
    """The header of a blank roster and a note per column, naming the community's own zones and roles."""
    with service.db.reading() as session:
        configured = require_community(session, community)
        zones, roles = configured.zones, configured.roles
    header = titled(list(COLUMNS.items()))
    notes = [
        ["列", "填写说明", "是否必填"],
        [header[0], "居民编号；已登记的编号再次导入会更新这位居民（整条记录）", "必填"],
        [header[1], "姓名，最多 200 字", "必填"],
        [header[2], _listed(zones, "分区编号，如 north"), "必填"],
        [header[3], "家庭（户）编号，同一户的居民写同一个", "可空"],
        [header[4], _listed(roles, "身份编号") + "；多个身份用顿号分开", "可空"],
        [header[5], "入住本社区的日期，如 2024-07-01；期末规则（连续 12 个月无违规等）不计此前的周期", "可空"],
    ]
    return header, notes


def _listed(labels: list[dict] | None, anything: str) -> str:
    """What a zone or role column may hold: the community's own, each by title and id."""
    return "以下之一：" + "、".join(f"{label['title']}（{label['id']}）" for label in labels) if labels else anything


def import_roster(service: Service, community: str, data: bytes, *, fmt: str, name: str) -> RosterImport:
    """Register every resident of a roster file (``csv`` or ``xlsx``), all or none."""
    try:
        rows = table_rows(data, fmt=fmt, name=name, titles=COLUMNS, required=REQUIRED)
    except FactError as exc:
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("roster_unreadable"), exc.problems) from None
    if len(rows) > service.settings.max_import_rows:
        raise ServiceError(ServiceCode.BATCH_TOO_LARGE,
                           f"a roster holds at most {service.settings.max_import_rows} rows; got {len(rows)}")
    with service.db.reading() as session:
        configured = require_community(session, community)
        zone_ids = {label["title"]: label["id"] for label in configured.zones or []}
        role_ids = {label["title"]: label["id"] for label in configured.roles or []}
        known = set(session.scalars(select(Resident.id).where(Resident.community == community)))
    residents: list[ResidentCreate] = []
    problems: list[Problem] = []
    for number, row in rows:
        zone = row.get("zone", "")
        given = {"id": row.get("id", ""), "name": row.get("name", ""), "zone": zone_ids.get(zone, zone),
                 "household": row.get("household") or None,
                 "roles": [role_ids.get(role, role) for role in _SEPARATORS.split(row.get("roles", "")) if role],
                 "moved_in": row.get("moved_in") or None}
        try:
            residents.append(ResidentCreate.model_validate(given))
        except ValidationError as exc:
            problems += input_problems(exc.errors(), ServiceCode.REQUEST_INVALID, file=name, row=number)
    if problems:
        raise _rows_rejected(problems, len(rows))
    try:
        register_residents(service, community, residents)
    except ServiceError as exc:  # a zone or role not declared, an id twice: at the row, as a clerk sees it
        raise _rows_rejected([_at_row(problem, rows, name) for problem in exc.problems], len(rows)) from None
    ids = {resident.id for resident in residents}
    return RosterImport(rows=len(rows), added=len(ids - known), updated=len(ids & known))


def _at_row(problem: Problem, rows: list[tuple[int, dict[str, str]]], name: str) -> Problem:
    """A problem found in the list of residents (``[3].zone``), placed at its row of the file (``zone``)."""
    placed = _ROW_PATH.fullmatch(problem.path or "")
    if placed is None:
        return problem
    update: dict[str, Any] = {"file": name, "row": rows[int(placed[1])][0], "path": placed[2] or None}
    earlier = _ROW_PATH.fullmatch(str(problem.params.get("at", "")))
    if earlier is not None:  # the other place of an id given twice: a row too
        row = rows[int(earlier[1])][0]
        update |= {"params": {**problem.params, "at": f"第 {row} 行"},
                   "message": problem.message.replace(problem.params["at"], f"row {row}")}
    return problem.model_copy(update=update)


def _rows_rejected(problems: list[Problem], total: int) -> ServiceError:
    return ServiceError(ServiceCode.REQUEST_INVALID, Message.of(
        "roster_rejected", bad=len({p.row for p in problems}), total=total), sorted(problems, key=Problem.sort_key))
