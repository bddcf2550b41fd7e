"""An office's sheet names fact types and fields by title: read as the ids the standards give them."""

from __future__ import annotations

import pytest

from tests.conftest import RULESETS
from tests.support.standard import CIVIC_V1
from xinzhi.engine import load_ruleset, load_ruleset_file
from xinzhi.engine.facts import Cell
from xinzhi.engine.titles import SheetTitles

YIHE = SheetTitles([load_ruleset_file(RULESETS / "yihe_2021.yaml")])


@pytest.mark.parametrize(("raw", "read"), [
    ({"type": "垃圾分类检查", "fields": {"检查结果": "passed"}},
     {"type": "garbage_check", "fields": {"result": "passed"}}),
    ({"type": " 志愿服务 ", "fields": {"服务时长（小时）": "2", "服务内容": "扫雪"}},
     {"type": "volunteering", "fields": {"hours": "2", "activity": "扫雪"}}),
    ({"type": "volunteering", "fields": {"hours": "2"}}, {"type": "volunteering", "fields": {"hours": "2"}}),
    # the id's own column wins: the title's stays as written, and is refused as an unknown field
    ({"type": "volunteering", "fields": {"hours": "2", "服务时长（小时）": "3"}},
     {"type": "volunteering", "fields": {"hours": "2", "服务时长（小时）": "3"}}),
    ({"type": "跳广场舞", "fields": {"时长": "1"}}, {"type": "跳广场舞", "fields": {"时长": "1"}}),  # no such title
    ({"type": "garbage_check", "fields": {"服务内容": "x"}}, {"type": "garbage_check", "fields": {"服务内容": "x"}}),
    ({"type": None, "fields": None}, {"type": None, "fields": None}),
])
def test_a_title_reads_as_its_id_and_anything_else_stays_as_written(raw, read):
    assert YIHE.read({"id": "k1", **raw}) == {"id": "k1", **read}


def test_a_title_two_standards_give_different_ids_stays_as_written():
    other = CIVIC_V1.replace("title: 参加活动", "title: 清理小广告")  # civic's activity is now titled as cleanup
    titles = SheetTitles([load_ruleset(CIVIC_V1), load_ruleset(other)])
    assert titles.read({"type": "清理小广告"})["type"] == "清理小广告"
    assert SheetTitles([load_ruleset(CIVIC_V1)]).read({"type": "清理小广告"})["type"] == "cleanup"


def test_an_id_is_never_read_as_a_title_even_of_a_type_without_fields():
    """Found by attack: ``deed`` (no fields) was read as the title of a type titled "deed", worth -50."""
    standard = CIVIC_V1.replace("  - id: activity\n    title: 参加活动", "  - id: deed\n    title: 好人好事\n"
                                "  - id: activity\n    title: deed")
    titles = SheetTitles([load_ruleset(standard)])
    assert titles.read({"type": "deed"})["type"] == "deed"
    assert titles.read({"type": "好人好事"})["type"] == "deed"


def test_a_choice_written_by_its_title_reads_as_its_value():
    """Found by use: a sheet writing 合格 for a check's result was refused; a standard may title its values."""
    standard = CIVIC_V1.replace("kind: {type: enum, values: [noise, parking]}", "kind: {type: enum, values: "
                                "[noise, parking], titles: {noise: 噪音扰民, parking: 乱停车}}")
    titles = SheetTitles([load_ruleset(standard)])
    read = titles.read({"type": "违规", "fields": {"kind": Cell(" 乱停车 ")}})
    assert read == {"type": "violation", "fields": {"kind": "parking"}} and isinstance(read["fields"]["kind"], Cell)
    assert titles.read({"type": "violation", "fields": {"kind": "noise"}})["fields"] == {"kind": "noise"}
    assert titles.read({"type": "violation", "fields": {"kind": "吵闹"}})["fields"] == {"kind": "吵闹"}  # refused
    assert titles.read({"type": "activity", "fields": {"name": "乱停车"}})["fields"] == {"name": "乱停车"}  # no enum
