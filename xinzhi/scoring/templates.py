"""A blank spreadsheet per fact type, with Chinese headers, for the office to fill in and import.

The columns are what ``engine.factfiles`` reads, titled ``标题（key）`` from the standard in
force, so the filled sheet imports as it is. The notes say, per column, what to write.
"""

from __future__ import annotations

from xinzhi.clock import today
from xinzhi.engine import Problem, Ruleset
from xinzhi.engine.factfiles import COLUMN_TITLES
from xinzhi.engine.ruleset import FactType, FieldSpec
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message
from xinzhi.registry.service import standard_for
from xinzhi.service import Service
from xinzhi.spreadsheets import titled

DATES = "如 2026-11-20 09:00、2026/11/20 9:00 或 2026年11月20日 9时；05/06/2026 这类分不清日月的写法会被拒绝"


def _field_note(spec: FieldSpec) -> str:
    titles = spec.titles or {}
    limits = ([f"最小 {spec.min:g}"] if spec.min is not None else []) + \
        ([f"最大 {spec.max:g}"] if spec.max is not None else [])
    bounds = "".join(f"，{limit}" for limit in limits)
    return {
        "int": f"整数{bounds}", "number": f"数字{bounds}", "string": f"文字，最多 {spec.max_length} 字",
        "bool": "是 / 否", "date": "日期，" + DATES.split("；")[0],
        "enum": "以下之一：" + "、".join(f"{titles[v]}（{v}）" if v in titles else v for v in spec.values or ()),
    }[spec.type]


def _fact_type(ruleset: Ruleset | None, fact_type: str) -> FactType:
    found = next((t for t in ruleset.fact_types if t.id == fact_type), None) if ruleset else None
    if found is None:
        known = "、".join(f"{t.title}（{t.id}）" for t in ruleset.fact_types) if ruleset else "（无标准生效）"
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("no_fact_type", type=fact_type),
                           [Problem(code=ServiceCode.REQUEST_INVALID, path="type",
                                    message=f"the standard in force has no fact type {fact_type!r}; it has: {known}",
                                    says="no_fact_type_of", params={"type": fact_type, "types": known})])
    return found


def fact_template(service: Service, community: str, fact_type: str) -> tuple[list[str], list[list[str]]]:
    """The header of a blank sheet for ``fact_type`` (standard in force today) and a note per column."""
    ruleset = standard_for(service, community, today())
    kind = _fact_type(ruleset, fact_type)
    who = "household" if kind.names == "household" else "resident"
    columns = [("id", COLUMN_TITLES["id"]), ("type", COLUMN_TITLES["type"]), (who, COLUMN_TITLES[who]),
               ("occurred_at", COLUMN_TITLES["occurred_at"]),
               *((key, spec.title or key) for key, spec in kind.fields.items())]
    notes = [
        ["列", "填写说明", "是否必填"],
        [titled(columns[:1])[0], "每条记录一个编号；同一编号再次导入不会重复计分", "必填"],
        [titled(columns[1:2])[0], f"填 {kind.id}（{kind.title}）", "必填"],
        [titled(columns[2:3])[0], "家庭编号" if who == "household" else "居民编号", "必填"],
        [titled(columns[3:4])[0], f"发生的日期和时间，{DATES}", "必填"],
        *([titled([(key, spec.title or key)])[0], _field_note(spec), "必填" if spec.required else "可空"]
          for key, spec in kind.fields.items()),
    ]
    return titled(columns), notes
