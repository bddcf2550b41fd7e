"""Words a person reads from the service, in Chinese and English, made from a code and its parameters.

A refusal is a value: a stable code and the facts of the case (``Message``). This module is
the one place where it becomes a sentence, in the language the reader asked for
(``Accept-Language``; the console sends its own switch). Programs branch on the code and
read the parameters; people read the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xinzhi.engine import Problem

LANGUAGES = ("zh", "en")

#: A title per code: what kind of refusal it is.
TITLES: dict[str, tuple[str, str]] = {
    "community_not_found": ("没有这个社区", "Community not found"),
    "resident_not_found": ("没有这位居民", "Resident not found"),
    "ruleset_not_found": ("没有这个评定标准", "Ruleset not found"),
    "zone_not_declared": ("不是本社区登记的分区", "Not one of the community's zones"),
    "role_not_declared": ("不是本社区登记的身份", "Not one of the community's roles"),
    "configuration_in_use": ("分区或身份仍在使用", "A zone or role still in use"),
    "ruleset_invalid": ("评定标准有问题", "The ruleset has problems"),
    "ruleset_tests_failed": ("评定标准的内置测试未通过", "The ruleset's embedded tests failed"),
    "ruleset_published_immutable": ("已发布的标准不能修改", "A published ruleset cannot change"),
    "ruleset_dates_overlap": ("生效日期与已发布的版本重叠", "Effective dates overlap a published version"),
    "ruleset_parent_unpublished": ("所继承的标准尚未发布", "A parent in the extends chain is not published"),
    "draft_too_slow": ("草案运行时间过长", "The draft took too long"),
    "drafts_busy": ("同时运行的草案任务太多", "Too many draft tasks at once"),
    "facts_rejected": ("事实未被接受", "Facts rejected"),
    "fact_unknown_resident": ("没有这位居民", "Unknown resident"),
    "fact_unknown_household": ("没有这个家庭", "Unknown household"),
    "fact_wrong_household": ("不是该居民登记的家庭", "Not the resident's household"),
    "resident_without_household": ("居民未登记家庭", "Resident without a household"),
    "fact_in_future": ("事实的时间在将来", "The fact is dated in the future"),
    "as_of_in_future": ("日期在将来", "The day is in the future"),
    "request_invalid": ("请求有误", "The request is not valid"),
    "batch_too_large": ("一次提交的条数太多", "Too many items in one request"),
    "request_too_large": ("请求内容太大", "Request body too large"),
    "item_not_found": ("信用超市没有这件商品", "Shop item not found"),
    "item_inactive": ("这件商品暂不兑换", "The item is not offered"),
    "out_of_stock": ("库存不足", "Out of stock"),
    "insufficient_points": ("积分不足", "Not enough points"),
    "tier_too_low": ("诚信等级不够", "Tier too low for this item"),
    "redemption_not_found": ("没有这笔兑换", "Redemption not found"),
    "redemption_already_cancelled": ("这笔兑换已经取消", "Redemption already cancelled"),
    "redemption_id_conflict": ("兑换单号已被使用", "Redemption id already used"),
    "redemption_date_invalid": ("兑换日期不成立", "The redemption cannot be dated so"),
    "case_not_found": ("没有这个议事案件", "Council case not found"),
    "case_wrong_state": ("案件当前状态不能这样处理", "The case is not in a state for this"),
    "entry_not_found": ("台账中没有这一条", "Ledger entry not found"),
    "entry_already_corrected": ("这一条已经撤销或更正过", "The entry was already reversed or corrected"),
    "review_not_found": ("没有这条待审核的加分", "Award under review not found"),
    "review_already_decided": ("这条加分已经审核过", "The award was already decided"),
    "objection_not_found": ("没有这条异议", "Objection not found"),
    "objection_already_resolved": ("这条异议已经处理", "The objection was already resolved"),
    "publicity_closed": ("公示期已过，不再受理异议", "Not open for objections"),
    "simulation_not_found": ("没有这次模拟", "Simulation not found"),
    "simulation_not_ready": ("模拟报告还没有完成", "Simulation report not ready"),
    "simulation_failed": ("模拟失败", "The simulation failed"),
    "unauthorized": ("需要登录令牌", "A token is needed"),
    "forbidden": ("当前身份不能这样操作", "Not allowed for this role"),
    "not_found": ("没有这个地址", "Not found"),
    "method_not_allowed": ("这个地址不接受该操作", "Method not allowed"),
    "unsupported_media_type": ("不支持的内容类型", "Unsupported media type"),
    "internal_error": ("服务器出错", "Internal error"),
}

#: Sentences, by key: a ``str.format`` template per language over the message's parameters.
SENTENCES: dict[str, tuple[str, str]] = {
    "no_community": ("没有社区「{community}」", "there is no community '{community}'"),
    "no_resident": ("社区「{community}」没有居民「{resident}」",
                    "community '{community}' has no resident '{resident}'"),
    "item_inactive": ("「{item}」暂不兑换", "'{item}' is not offered at the moment"),
    "out_of_stock": ("「{item}」只剩 {stock} 份，要兑换 {asked} 份", "'{item}': {stock} left, {asked} asked"),
    "tier_too_low": ("「{item}」限 {tier} 级及以上兑换：{why}", "'{item}' is for tier {tier} and above: {why}"),
    "insufficient_points": ("「{item}」需要 {cost} 分，{whose}可用 {points} 分{floor}{since}",
                            "'{item}' costs {cost} points; {whose} {points} to spend{floor}{since}"),
    "whose_resident": ("该居民", "the resident has"),
    "whose_household": ("家庭「{household}」", "household {household} has"),
    "above_floor": ("（{floor} 分以上的部分）", " above the floor of {floor}"),
    "since_then": ("（自兑换日起的最低余额）", " at the least since then"),
    "nothing": ("", ""),
    "request_shape": ("请求的内容不符合要求", "the request does not have the expected shape"),
    "no_endpoint": ("没有这个地址，请查看 /docs", "no such endpoint; see /docs"),
    "no_method": ("这个地址不接受这种操作，请查看 /docs", "this endpoint does not take that method; see /docs"),
    "ruleset_problems": ("评定标准有问题，见逐条说明", "the ruleset has problems"),
    "facts_rejected": ("有事实未被接受，全部未保存", "some facts were rejected; nothing was stored"),
    "ruleset_n_problems": ("评定标准有 {n} 个问题，逐条列出了行和列",
                           "the ruleset has {n} problem(s); each is listed with its line and column"),
    "facts_n_rejected": ("{total} 条事实中有 {bad} 条未被接受，全部未保存",
                         "{bad} of {total} fact(s) rejected; nothing was stored"),
    "tests_failed": ("{failed} 项内置测试（共 {total} 项）未通过，{ref} 仍是草案",
                     "{failed} of {total} embedded test(s) failed; {ref} stays a draft"),
    "fact_in_future": ("事实「{fact}」的时间 {occurred} 晚于现在", "fact '{fact}' is dated {occurred}, after now"),
}


@dataclass(frozen=True)
class Message:
    """A sentence to be: its key and parameters, rendered in the reader's language only when shown."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, **params: Any) -> Message:
        """``Message.of("out_of_stock", item="肥皂", stock=0, asked=1)``."""
        return cls(key, params)

    def render(self, language: str = "en") -> str:
        """The sentence in ``language`` (``zh`` or ``en``)."""
        template = SENTENCES[self.key][1 if language == "en" else 0]
        return template.format(**{k: v.render(language) if isinstance(v, Message) else v
                                  for k, v in self.params.items()})


def title(code: str, language: str = "en") -> str:
    """The title of a code, in ``language``."""
    zh, en = TITLES.get(code, (code, code))
    return en if language == "en" else zh


def language_of(accept_language: str | None) -> str:
    """``zh`` or ``en`` from an ``Accept-Language`` header, by preference; English when it names neither."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else "en"


#: What a located problem says (``Problem.says`` with its ``params``), in Chinese; English is the engine's message.
PROBLEMS_ZH: dict[str, str] = {
    "yaml_syntax": "YAML 格式有误：{problem}",
    "duplicate_key": "「{key}」在同一处写了两次，后一个会悄悄覆盖前一个",
    "unknown_key": "这里不能写「{key}」{suggestion}",
    "missing_key": "缺少必填的「{key}」",
    "bad_period": "{got} 不是周期：请写 day（日）、week（周）、month（月）、quarter（季度）或 year（年）",
    "wrong_type": "{place}的类型不对（写的是 {got}）",
    "bad_input": "{place}{reason}{written}",
    "unknown_reference": "没有{noun}「{name}」{suggestion}",
    "fact_field": "事实「{fact}」{type}的「{field}」{reason}",
    "input.missing": "必须填写",
    "input.extra_forbidden": "不是这里能写的项",
    "input.string_too_short": "至少要 {min_length} 个字",
    "input.string_too_long": "最多 {max_length} 个字",
    "input.too_short": "至少要 {min_length} 项",
    "input.too_long": "最多 {max_length} 项",
    "input.greater_than_equal": "不能小于 {ge}",
    "input.greater_than": "必须大于 {gt}",
    "input.less_than_equal": "不能大于 {le}",
    "input.less_than": "必须小于 {lt}",
    "input.int_parsing": "应为整数", "input.int_type": "应为整数", "input.int_from_float": "应为整数，不能有小数",
    "input.float_parsing": "应为数字", "input.float_type": "应为数字", "input.decimal_parsing": "应为数字",
    "input.decimal_type": "应为数字", "input.finite_number": "应为有限的数字",
    "input.decimal_max_places": "小数最多 {decimal_places} 位", "input.decimal_max_digits": "数字位数太多",
    "input.number_not_bool": "应为数字，不能写 true 或 false",
    "input.bool_parsing": "应为 true 或 false", "input.bool_type": "应为 true 或 false",
    "input.yes_no": "「{text}」不是“是”或“否”：请写 {yes} 之一表示是，{no} 之一表示否",
    "input.string_type": "应为文字",
    "input.dict_type": "应为键值对（如 {{键: 值}}）", "input.model_type": "应为键值对（如 {{键: 值}}）",
    "input.model_attributes_type": "应为键值对（如 {{键: 值}}）",
    "input.list_type": "应为列表（如 [甲, 乙]）", "input.tuple_type": "应为列表", "input.set_type": "应为列表",
    "input.literal_error": "只能是 {expected} 之一", "input.enum": "只能是 {expected} 之一",
    "input.date_parsing": "应为日期，如 2026-11-20", "input.date_type": "应为日期，如 2026-11-20",
    "input.date_from_datetime_parsing": "应为日期，如 2026-11-20",
    "input.date_from_datetime_inexact": "应为日期（不带时刻），如 2026-11-20",
    "input.datetime_parsing": "应为时间，如 2026-11-20 09:00", "input.datetime_type": "应为时间，如 2026-11-20 09:00",
    "input.datetime_from_date_parsing": "应为时间，如 2026-11-20 09:00",
    "input.string_pattern_mismatch": "格式不对", "input.value_error": "的值不符合要求：{error}",
    "input.json_invalid": "不是有效的 JSON", "input.json_type": "应为 JSON",
    "input.union_tag_invalid": "类型不对", "input.union_tag_not_found": "类型不对",
    "moment.digits": "「{text}」不是日期：请写成 2026-11-20 09:00（八位数字按年月日读）",
    "moment.unreal": "「{text}」不是真实存在的日期或时间",
    "moment.number": "「{text}」是数字，不是日期：请写成 2026-11-20 09:00",
    "moment.short_year": "「{text}」：年份请写四位，如 2026-11-20",
    "moment.ambiguous": "「{text}」分不清日和月：请把年份写在前面，如 2026-11-20",
    "moment.day_with_time": "「{text}」是日期：请不要写时刻，如 2026-11-20",
}

#: What an unknown reference names, by the problem's code.
_NOUNS_ZH = {"ruleset_unknown_category": "分类", "ruleset_unknown_tier": "等级",
             "ruleset_unknown_fact_type": "事实类型", "ruleset_unknown_field": "字段", "ruleset_unknown_rule": "规则"}

#: PyYAML's problems in plain words: what is wrong, and what usually fixes it.
_YAML_ZH = (
    ("mapping values are not allowed here", "这里不能出现“键: 值”：多半是上一行的缩进不对，或值里的冒号需要加引号"),
    ("could not find expected ':'", "找不到冒号“:”：检查上一行是否写成了“键: 值”"),
    ("cannot start any token", "有不能出现在这里的字符：缩进请用空格，不要用 Tab"),
    ("expected <block end>", "缩进不一致：这一行没有和同级的行对齐"),
    ("did not find expected key", "找不到预期的键：检查缩进，或列表项是否漏了“- ”"),
    ("did not find expected '-' indicator", "列表项应以“- ”开头，并与同级的项对齐"),
    ("found undefined alias", "引用了没有定义的锚点（*名称）"),
    ("found duplicate anchor", "同一个锚点（&名称）定义了两次"),
    ("found unexpected end of stream", "文件意外结束：有引号或括号没有闭合"),
    ("expected ',' or ']'", "方括号列表里缺少逗号或右方括号“]”"),
    ("expected ',' or '}'", "花括号里缺少逗号或右花括号“}”"),
    ("found unknown escape character", "引号里有不认识的转义字符（\\ 后面的字符）"),
    ("expected the node content", "这里缺少值"),
    ("expected a comment or a line break", "值后面多了内容：如果要写这些字，请给整个值加引号"),
    ("found unexpected ':'", "多了一个冒号“:”：如果它是值的一部分，请给值加引号"),
)


def problem_text(problem: Problem, language: str = "en") -> str:
    """A located problem as the reader reads it: the engine's English, or Chinese made from what it says."""
    if language == "en" or problem.says is None:
        return problem.message
    said = _said(problem.says, problem.params, problem.code)
    return problem.message if said is None else said


def _said(says: str, params: dict[str, Any], code: str = "") -> str | None:
    if says == "yaml_syntax":
        wording = next((zh for english, zh in _YAML_ZH if english in params.get("problem", "")), None)
        return PROBLEMS_ZH[says].format(problem=wording or params.get("problem", ""))
    template = PROBLEMS_ZH.get(says)
    if template is None:
        return None
    values = dict(params)
    if isinstance(values.get("reason"), dict):
        reason = values["reason"]
        values["reason"] = _said(reason.get("says", ""), reason.get("params", {})) or "的值不符合要求"
    if "hint" in values:
        allowed = f"；这里可以写：{values['allowed']}" if values.get("allowed") else ""
        values["suggestion"] = f"，是不是「{values['hint']}」？" if values["hint"] else allowed
    values["noun"] = _NOUNS_ZH.get(code, "")
    values["place"] = f"「{values['key']}」" if values.get("key") else "内容"
    values["written"] = f"（写的是 {values['got']}）" if values.get("got") else ""
    if says == "fact_field":
        values["type"] = f"（{values['type']}）" if values.get("type") else ""
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a parameter the sentence needs is missing: the English stands
        return None
