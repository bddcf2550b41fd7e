"""Words a person reads from the service, in Chinese and English, made from a code and its parameters.

A refusal is a value: a stable code and the facts of the case (``Message``). This module is
the one place where it becomes a sentence, in the language the reader asked for
(``Accept-Language``; the console sends its own switch). Programs branch on the code and
read the parameters; people read the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
