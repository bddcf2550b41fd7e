"""A roster of residents as an office keeps it (花名册): a spreadsheet in, a blank one out.

A community office registers its residents from the roster it already keeps in Excel, not one
JSON record at a time. The file is read as a file of facts is (``engine.factfiles``: CSV in
UTF-8, GBK or UTF-16, or .xlsx; a header by key or by title, ``姓名（name）`` or ``姓名``). A
zone or a role may be written by its id or by the title the community gave it (第一村民小组,
村干部); roles are separated by 、 , or ;. Every row is checked before any is stored,
each problem names its row, and a registration is the whole record, as ``register_residents``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from xinzhi.communities.models import ResidentCreate
from xinzhi.communities.service import register_counting, require_community
from xinzhi.db.queries import any_of
from xinzhi.db.tables import Resident
from xinzhi.engine import FactError, Problem
from xinzhi.engine.errors import input_problems
from xinzhi.engine.factfiles import table_rows
from xinzhi.errors import MAX_PROBLEMS_KEPT, ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.service import Service
from xinzhi.spreadsheets import titled

#: The columns of a roster, by key, with the titles a blank roster is headed with.
COLUMNS = {"id": "编号", "name": "姓名", "zone": "分区", "household": "家庭", "roles": "身份", "moved_in": "入住日期"}
REQUIRED = ("id", "name", "zone")
_SEPARATORS = re.compile(r"\s*[、,，;；]\s*")  # not spaces: a title may hold one (村民 代表)
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
    """What a zone or role column may hold: the community's own, or ``anything`` where it declared none."""
    return "以下之一：" + _choices(labels) if labels else anything


def _choices(labels: list[dict]) -> str:
    """A community's zones or roles, each by title and id (第一村民小组（g1）), the first 30."""
    return "、".join(f"{label['title']}（{label['id']}）" for label in labels[:30])


def import_roster(service: Service, community: str, data: bytes, *, fmt: str, name: str) -> RosterImport:
    """Register every resident of a roster file (``csv`` or ``xlsx``), all or none.

    A column the roster does not have keeps what a known resident has (a roster of names and
    zones leaves households and roles alone); an empty cell of a column it has clears it.
    """
    try:
        rows = table_rows(data, fmt=fmt, name=name, titles=COLUMNS, required=REQUIRED)
    except FactError as exc:
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("roster_unreadable"), exc.problems) from None
    most = service.settings.max_import_rows
    if len(rows) > most:
        raise ServiceError(ServiceCode.BATCH_TOO_LARGE, Message.of("roster_too_long", most=most, rows=len(rows)))
    with service.db.reading() as session:
        configured = require_community(session, community)
        stored = {row.id: row for row in session.execute(select(
            Resident.id, Resident.household, Resident.roles, Resident.moved_in).where(
            Resident.community == community, any_of(session, Resident.id, {row.get("id", "").strip()
                                                                             for _, row in rows})))}
    labels = _Labels(configured.zones, configured.roles)
    residents: list[ResidentCreate] = []
    problems: list[Problem] = []
    bad = total = 0
    for number, cells in rows:
        row = {key: text.strip() for key, text in cells.items()}
        given = {"id": row.get("id", ""), "name": row.get("name", ""), "zone": labels.zone(row.get("zone", "")),
                 "household": row.get("household") or None,
                 "roles": [labels.role(role) for role in _SEPARATORS.split(row.get("roles", "")) if role],
                 "moved_in": row.get("moved_in") or None}
        kept = stored.get(given["id"])
        if kept is not None:  # a column the roster does not have: as it was
            given |= {key: value for key, value in (("household", kept.household), ("roles", kept.roles or []),
                                                    ("moved_in", kept.moved_in)) if key not in row}
        found = [problem.model_copy(update={"file": name, "row": number}) for problem in labels.unknown(row)]
        try:
            residents.append(ResidentCreate.model_validate(given))
        except ValidationError as exc:  # less the shape of a zone or role already said to be unknown
            said = {problem.path for problem in found}
            found += [_titled(problem) for problem in input_problems(exc.errors(), ServiceCode.REQUEST_INVALID,
                                                                     file=name, row=number) if problem.path not in said]
        bad += bool(found)
        total += len(found)
        problems += found[:max(0, MAX_PROBLEMS_KEPT - len(problems))]  # the rest only counted
    if bad:
        raise _rows_rejected(problems, bad, len(rows), total)
    try:
        _, added = register_counting(service, community, residents)
    except ServiceError as exc:  # an id twice with other details: at the row, as a clerk sees it
        located = [_at_row(problem, rows, name) for problem in exc.problems]
        raise _rows_rejected(located, len({p.row for p in located}), len(rows)) from None
    return RosterImport(rows=len(rows), added=added, updated=len({r.id for r in residents}) - added)


class _Labels:
    """A community's zones and roles, written in a roster by id or by title; ids first."""

    def __init__(self, zones: list[dict] | None, roles: list[dict] | None):
        self.declared = {"zone": zones, "role": roles}
        self.ids = {kind: {label["title"]: label["id"] for label in labels or []} | {
            label["id"]: label["id"] for label in labels or []} for kind, labels in self.declared.items()}

    def zone(self, written: str) -> str:
        """The zone's id, by id or by title (unknown: as written, refused by ``unknown``)."""
        return self.ids["zone"].get(written, written)

    def role(self, written: str) -> str:
        """The role's id, by id or by title."""
        return self.ids["role"].get(written, written)

    def unknown(self, row: dict[str, str]) -> list[Problem]:
        """What the row names that the community has not declared, saying what it may write."""
        problems = []
        written = [("zone", "zone", row.get("zone", ""))] + [
            ("role", f"roles[{i}]", role) for i, role in enumerate(r for r in _SEPARATORS.split(row.get("roles", ""))
                                                                   if r)]
        for kind, path, value in written:
            labels = self.declared[kind]
            if labels and value and value not in self.ids[kind]:
                known = _choices(labels)
                problems.append(Problem(code=ServiceCode.REQUEST_INVALID, path=path, says="roster.unknown_label",
                                        params={"value": value, "kind": kind, "choices": known},
                                        message=f"'{value}' is not one of the community's {kind}s; write {known}"))
        return problems


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


def _titled(problem: Problem) -> Problem:
    """A cell's problem naming its column as the roster heads it (「姓名（name）」), not by its key alone."""
    key = problem.params.get("key")
    if key not in COLUMNS:
        return problem
    return problem.model_copy(update={"params": {**problem.params, "key": f"{COLUMNS[key]}（{key}）"}})


def _rows_rejected(problems: list[Problem], bad: int, total: int, found: int = 0) -> ServiceError:
    """The refusal of a roster: its problems at their rows, and how many it had when more than were kept."""
    return ServiceError(ServiceCode.REQUEST_INVALID, Message.of("roster_rejected", bad=bad, total=total),
                        sorted(problems, key=Problem.sort_key),
                        extra={"errors_total": found} if found > len(problems) else None)
