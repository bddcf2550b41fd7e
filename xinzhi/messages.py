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
    "entry_under_review": ("这条加分由议事会审核决定", "The award is decided by the committee's review"),
    "review_not_found": ("没有这条待审核的加分", "Award under review not found"),
    "review_already_decided": ("这条加分已经审核过", "The award was already decided"),
    "objection_not_found": ("没有这条异议", "Objection not found"),
    "objection_already_resolved": ("这条异议已经处理", "The objection was already resolved"),
    "objection_already_open": ("这条异议已经提出过", "The objection is already open"),
    "publicity_closed": ("公示期已过，不再受理异议", "Not open for objections"),
    "catalogue_not_found": ("标准库中没有这个共享标准", "No such shared standard in the catalogue"),
    "catalogue_conflict": ("标准库中已有同名同版本、内容不同的标准",
                           "The catalogue holds other content under that id and version"),
    "ruleset_not_published": ("只能共享已发布的版本", "Only a published version can be shared"),
    "bundle_invalid": ("标准文件包无效或已被改动", "The bundle is not valid or was altered"),
    "body_not_declared": ("不是本社区登记的审议机构", "Not one of the community's bodies"),
    "ruleset_already_exists": ("本社区已有这个编号的标准", "The community already has a standard with that id"),
    "adoption_incomplete": ("还有审议机构未通过", "Not every required body has approved it"),
    "simulation_not_found": ("没有这次模拟", "Simulation not found"),
    "simulation_not_ready": ("模拟报告还没有完成", "Simulation report not ready"),
    "simulation_failed": ("模拟失败", "The simulation failed"),
    "simulation_finished": ("模拟已经结束，无法取消", "The simulation has already ended"),
    "simulations_busy": ("排队的模拟太多", "Too many simulations waiting"),
    "unauthorized": ("需要登录令牌", "A token is needed"),
    "forbidden": ("当前身份不能这样操作", "Not allowed for this role"),
    "not_found": ("没有这个地址", "Not found"),
    "method_not_allowed": ("这个地址不接受该操作", "Method not allowed"),
    "unsupported_media_type": ("不支持的内容类型", "Unsupported media type"),
    "internal_error": ("服务器出错", "Internal error"),
}

#: Sentences, by key: a ``str.format`` template per language over the message's parameters.
SENTENCES: dict[str, tuple[str, str]] = {
    # refusals of review, shop, council, ledger, communities, registry, scoring and tokens (were English only)
    "review_decided": ("第 {notice} 号加分{status}，不能再次审核", "award {notice} was already {status}"),
    "objection_open": ("同样的异议（第 {seq} 号，对第 {notice} 号公示）已经提出，还在处理中，不必再提",
                       "the same objection to notice {notice} (objection {seq}) is still open"),
    "objection_decided": ("第 {seq} 号异议{status}，不能再次处理", "objection {seq} was already {status}"),
    "decided_approved": ("已批准", "approved"),
    "decided_rejected": ("已驳回", "rejected"),
    "decided_reversed": ("已撤销", "reversed"),
    "decided_upheld": ("已认定成立", "upheld"),
    "decided_dismissed": ("已驳回", "dismissed"),
    "not_in_publicity": ("第 {notice} 号加分不在公示期内，不能提出异议",
                         "award {notice} is not on the public board for objections"),
    "objection_after_appeal": ("第 {notice} 号加分已经由申诉撤销或更正过，异议不能再撤销它",
                               "award {notice} was already reversed or corrected by an appeal"),
    "redemption_id_taken": ("兑换单号「{redemption}」已用于另一笔兑换：请换一个单号",
                            "the redemption id '{redemption}' was already used for another redemption; "
                            "choose a new id"),
    "satisfaction_parties": ("满意度要为每一位当事人填写，也只能为当事人填写{missing}{strangers}",
                             "satisfaction must be given for every party and only for parties{missing}{strangers}"),
    "parties_missing": ("；缺少：{parties}", "; missing: {parties}"),
    "parties_strangers": ("；不是当事人：{parties}", "; not parties: {parties}"),
    "no_household": ("社区「{community}」没有家庭「{household}」",
                     "community '{community}' has no household '{household}'"),
    "account_needs_household": ("{ref} 按家庭记账，而居民「{resident}」没有登记家庭：请先登记该居民的家庭",
                                "{ref} keeps accounts per household, and resident '{resident}' is registered in none: "
                                "register the resident's household first"),
    "resident_no_household": ("居民「{resident}」没有登记家庭", "resident '{resident}' has no household"),
    "still_in_use": ("仍在使用的{kind}不能删除：{ids}{more}", "{kind} still in use cannot be dropped: {ids}{more}"),
    "configured_zones": ("分区", "zones"),
    "configured_roles": ("身份", "roles"),
    "and_more": ("（另有 {n} 个）", " and {n} more"),
    "in_use": ("「{value}」仍在使用", "'{value}' is in use"),
    "residents_twice": ("有 {n} 个居民编号出现了两次且信息不同，全部未保存",
                        "{n} resident id(s) given twice with different details; nothing was stored"),
    "undeclared_ids": ("{why}", "{n} zone or role id(s) the community has not declared"),
    "drafts_busy": ("您已有 {n} 个草案任务正在运行或等待：请等它们完成后再试",
                    "{n} draft task(s) of yours are running or waiting; try again when they are done"),
    "draft_too_slow": ("草案运行超过了 {seconds:g} 秒，已被停止：请减少事实或测试，或简化规则",
                       "the draft took longer than {seconds:g} s and was stopped; try fewer facts or tests, or simpler "
                       "rules"),
    "dry_run_too_large": ("一次试算最多 {most} 条事实，这次有 {n} 条：请分批试算",
                          "a dry-run holds at most {most} facts; got {n}"),
    "dry_run_rejected": ("{why}", "some facts were rejected"),
    "already_published": ("{ref} 已经发布过了", "{ref} is already published"),
    "changed_during_tests": ("{ref} 在运行内置测试时被改动了：请再试一次",
                             "{ref} changed while its tests ran; try again"),
    "parent_changed_during_tests": ("{ref} 所继承的标准在运行内置测试时被改动了：请再试一次",
                                    "a parent of {ref} changed while its tests ran; try again"),
    "parent_is_draft": ("{ref} 继承的 {parent} 还是草案：请先发布 {parent}",
                        "{ref} extends {parent}, which is still a draft; publish {parent} first"),
    "is_draft": ("{ref} 还是草案", "{ref} is a draft"),
    "closes_nothing": ("起始日期 {since} 晚于结算日期 {as_of}：两者之间没有可以结算的周期",
                       "closing from {since} to {as_of} closes nothing"),
    "closing_too_many": ("从 {since} 起结算要判定约 {cost:,} 个周期，超过了 {most:,} 个：请选一个更晚的日期",
                         "closing from {since} decides about {cost:,} periods"),
    "batch_too_large": ("一批最多 {most} 条事实，这一批有 {n} 条：请分批提交",
                        "a batch holds at most {most} facts; got {n}"),
    "import_too_large": ("一次最多导入 {most} 行，这个文件有 {n} 行：请分成几个文件导入",
                         "an import holds at most {most} rows; got {n}"),
    "facts_unreadable": ("{why}", "the file cannot be read as facts"),
    "no_fact_type": ("现行标准没有事实类型「{type}」", "no fact type {type!r} in the standard in force"),
    "no_fact_type_of": ("现行标准没有事实类型「{type}」，有：{types}",
                        "the standard in force has no fact type {type!r}; it has: {types}"),
    "sheet_too_long": ("超过 {most:,} 行，一张工作表放不下：请改为导出 CSV",
                       "more than {most:,} rows do not fit in one worksheet: export CSV instead"),
    "nothing_found": ("没有找到", "not found"),
    "token_roles": ("令牌的身份只能从 {roles} 中选择，现在是：{got}", "roles must be some of {roles}; got {got}"),
    "none_given": ("（未写）", "none"),
    "resident_token_scope": ("居民令牌要写明 --community 和 --resident",
                             "a resident token needs --community and --resident"),
    "resident_without_community": ("写了居民「{resident}」，却没有写所在的社区",
                                   "resident '{resident}' is named without its community"),
    "token_label_shared": ("有 {n} 个在用的令牌都标为「{label}」（{ids}）：请按编号吊销其中一个",
                           "{n} tokens in use are labelled {label!r} ({ids}): revoke one by its id"),
    "no_community": ("没有社区「{community}」", "there is no community '{community}'"),
    "no_resident": ("社区「{community}」没有居民「{resident}」",
                    "community '{community}' has no resident '{resident}'"),
    "no_item": ("信用超市没有商品「{item}」", "the shop of '{community}' has no item '{item}'"),
    "no_redemption": ("没有兑换单「{redemption}」", "there is no redemption '{redemption}'"),
    "no_case": ("没有议事案件「{case}」", "community '{community}' has no council case '{case}'"),
    "no_entry": ("台账中没有第 {seq} 条", "community '{community}' has no ledger entry {seq}"),
    "appeal_not_appealable": ("台账第 {seq} 条是{kind}，不能申诉：兑换请办理取消，待审核的加分由审核决定",
                              "entry {seq} is a {kind}; cancel a redemption instead, and decide pending awards "
                              "through review"),
    "appeal_under_review": ("台账第 {seq} 条加分{status}，不能申诉撤销或更正：由议事会的审核决定",
                            "entry {seq} is an award {status}: its review decides it, not an appeal"),
    "appeal_corrected": ("台账第 {seq} 条已经撤销或更正过；如需再改，请对那条更正提出申诉",
                         "entry {seq} was already reversed or corrected; appeal the correction"),
    "appeal_mixed": ("台账第 {seq} 条对诚信指数和积分的变动不同，不能直接更正：请撤销它，再另加一条调整",
                     "entry {seq} moves index and points differently; reverse it and add an adjustment instead"),
    "appeal_decimals": ("金额的小数位超过了标准允许的位数", "an amount is finer than the standard's decimals"),
    "entry_redemption": ("信用超市兑换", "redemption"),
    "entry_refund": ("兑换退回", "refund"),
    "entry_reset": ("清零", "reset"),
    "entry_hold": ("待审核加分的暂扣", "hold of an award under review"),
    "review_pending": ("正在议事会审核中", "under the committee's review"),
    "review_rejected": ("已被议事会审核驳回", "the committee's review rejected"),
    "case_reported_later": ("报告时间 {when} 晚于现在：请写问题报告的时间", "it is reported at {when}, after now"),
    "as_of_after_today": ("{as_of} 晚于今天（{today}）：只能结算到今天", "{as_of} is after today ({today})"),
    "redeemed_later": ("兑换时间 {when} 晚于现在", "redeemed_at {when} is in the future"),
    "redeemed_before_accounts": ("兑换时间早于该账户的第一笔记录", "a redemption cannot be dated before the "
                                 "resident's first ledger entry"),
    "redeemed_before_expiry": ("兑换时间早于该账户上次积分到期，那时的积分已经结算",
                               "a redemption cannot be dated before the resident's points last expired"),
    "redemption_cancelled": ("兑换单「{redemption}」已经取消并退还过", "redemption '{redemption}' was already "
                             "cancelled and refunded"),
    "case_closed": ("案件「{case}」已经结案", "case '{case}' is already closed"),
    "case_not_convened": ("案件「{case}」还没有召集议事会，召集后才能结案",
                          "case '{case}' is not convened; only a convened case can be closed"),
    "ruleset_too_long": ("一份评定标准最多 {most} 字节", "a ruleset may be at most {most} bytes"),
    "ruleset_published": ("{ref} 已经发布，不能再修改：请作为第 {next} 版上传",
                          "{ref} is published and can no longer change; upload it as version {next}"),
    "no_ruleset": ("社区「{community}」没有评定标准 {ref}", "community '{community}' has no ruleset {ref}"),
    "ruleset_overlaps": ("{ref}（{begins} 至 {ends}）与已发布的 {other}（{other_begins} 至 {other_ends}）生效日期重叠",
                         "{ref} ({begins} – {ends}) overlaps published {other} ({other_begins} – {other_ends})"),
    "overlaps": ("与已发布的 {other} 生效日期重叠", "overlaps {other}"),
    "upstream_none": ("{ref} 没有继承标准库中的标准，没有上游可以换到", "{ref} extends no standard of the catalogue"),
    "no_notice": ("公示栏上没有第 {notice} 号公示", "there is no notice {notice} on the public board"),
    "no_review": ("没有第 {notice} 号待审核的加分", "community '{community}' has no award under review {notice}"),
    "no_objection": ("没有第 {seq} 号异议", "community '{community}' has no objection {seq}"),
    "fact_rejected": ("这条事实未被接受，什么也没有保存（见逐条说明）", "{why}"),
    "item_inactive": ("「{item}」暂不兑换", "'{item}' is not offered at the moment"),
    "out_of_stock": ("「{item}」只剩 {stock} 份，要兑换 {asked} 份", "'{item}': {stock} left, {asked} asked"),
    "tier_unknown": ("「{tier}」不是现行标准的诚信等级，无人可兑换",
                     "'{tier}' is not a tier of the standard in force, so nobody may redeem it"),
    "tier_capped": ("需要 {tier} 级，该居民的等级因「{by}」被限制在 {held} 级",
                    "tier {tier} is needed; the resident's tier is capped at {held} by {by}"),
    "tier_index": ("{tier} 级需要诚信指数 {needed}，该居民为 {index}",
                   "tier {tier} needs an index of {needed}; the resident has {index}"),
    "tier_too_low": ("「{item}」限 {tier} 级及以上兑换：{why}", "'{item}' is for tier {tier} and above: {why}"),
    "insufficient_points": ("「{item}」需要 {cost} 分，{whose}可用 {points} 分{floor}{since}",
                            "'{item}' costs {cost} points; {whose} {points} to spend{floor}{since}"),
    "whose_resident": ("该居民", "the resident has"),
    "whose_household": ("家庭「{household}」", "household {household} has"),
    "above_floor": ("（{floor} 分以上的部分）", " above the floor of {floor}"),
    "since_then": ("（自兑换日起的最低余额）", " at the least since then"),
    "nothing": ("", ""),
    "request_shape": ("请求的内容不符合要求", "the request does not have the expected shape"),
    "send_json": ("请求的内容要标明 Content-Type: application/json 发送（现在标的是 {media}）",
                  "send the body as application/json (it was sent as {media})"),
    "send_as": ("请求的内容要标明以下类型之一发送：{accepted}（现在标的是 {media}）",
                "send the body as one of {accepted}, not {media}"),
    "token_needed": ("这个地址需要登录令牌：请求头写 Authorization: Bearer <令牌>",
                     "this endpoint needs a token: send 'Authorization: Bearer <token>'"),
    "token_unknown": ("登录令牌无效或已被吊销", "the token is unknown or revoked"),
    "role_needed": ("这项操作需要 {needed} 身份的令牌，这个令牌是 {held}",
                    "this needs the role {needed}; the token has {held}"),
    "token_elsewhere": ("这个令牌只能用于社区「{community}」", "the token is for community '{community}'"),
    "no_media": ("未标明", "nothing"),
    "body_unreadable": ("请求的内容读不出来，见逐条说明", "the body could not be read"),
    "body_too_large": ("请求的内容最多 {most} 字节：请分批发送", "request bodies are limited to {most} bytes; "
                       "send smaller batches"),
    "unstorable_text": ("文字里不能有空字符或残缺的字符（\\u0000、\\ud800）：没有人会这样写，数据库也无法保存",
                        "text may not hold NUL characters or lone surrogates (\\u0000, \\ud800): no person means "
                        "them and no database stores them"),
    "no_endpoint": ("没有这个地址，请查看 /docs", "no such endpoint; see /docs"),
    "no_method": ("这个地址不接受这种操作，请查看 /docs", "this endpoint does not take that method; see /docs"),
    "ruleset_problems": ("评定标准有问题，见逐条说明", "the ruleset has problems"),
    "facts_rejected": ("有事实未被接受，全部未保存", "some facts were rejected; nothing was stored"),
    "body_not_declared": ("「{body}」不是社区「{community}」登记的审议机构",
                          "'{body}' is not one of {community}'s bodies"),
    "adoption_incomplete": ("{ref} 还需经 {bodies} 通过后才能发布",
                            "{ref} needs the approval of {bodies} before it is published"),
    "rows_rejected": ("{total} 行中有 {bad} 行有错误，一行也没有导入（可选择跳过有错误的行，导入其余各行）",
                      "{bad} of {total} row(s) have errors; nothing was stored (ask to skip bad rows to import the "
                      "others)"),
    "roster_too_long": ("花名册一次最多导入 {most} 行，这一份有 {rows} 行：请分成几份导入",
                        "a roster holds at most {most} rows; got {rows}"),
    "roster_unreadable": ("花名册读不出来，见逐条说明", "the roster cannot be read"),
    "roster_rejected": ("{total} 行中有 {bad} 行有错误，一个居民也没有登记",
                        "{bad} of {total} row(s) have errors; no resident was registered"),
    "import_summary": ("共 {rows} 行：计分 {scored} 条，此前已有 {duplicates} 条，跳过 {skipped} 行",
                       "{rows} rows: {scored} scored, {duplicates} seen before, {skipped} skipped"),
    "problems_listed": ("共 {n} 处问题，见逐条说明", "{n} problems, each listed"),
    "problems_unlisted": ("另有 {n} 个问题未列出", "{n} more problems not listed"),
    "bundle_too_large": ("标准文件包最多 {most} 字节", "a bundle is at most {most} bytes"),
    "bundle_aliases": ("标准文件包里不能有引用（*名称）", "a bundle has no aliases (*name)"),
    "bundle_nests": ("标准文件包的层次最多 {most} 层", "a bundle nests at most {most} levels"),
    "bundle_unreadable": ("不是标准文件包：YAML 读不出来（{problem}）",
                          "not a bundle: the YAML does not read ({problem})"),
    "bundle_shape": ("不是标准文件包：缺少或多出了内容，见逐条说明", "not a bundle"),
    "bundle_digest": ("标准文件包的校验值与内容不符：导出后被改动过，不能导入",
                      "the bundle's digest does not match its content: it was changed after it was exported"),
    "bundle_does_not_load": ("文件包里的标准 {ref} 有问题，见逐条说明", "the bundle's standard {ref} does not load"),
    "bundle_chain_twice": ("文件包里同一个标准出现了两次", "the bundle holds one ref twice"),
    "bundle_mislabelled": ("文件包里标为 {ref} 的文本其实是 {written}",
                           "the text filed as {ref} in the bundle is {written}"),
    "ruleset_exists": ("本社区已有标准 {ruleset}：请换一个编号",
                       "this community already has a standard {ruleset}; choose another id"),
    "bundle_chain": ("文件包里附带的上级标准与 {ref} 所继承的不一致", "the bundle's chain is not what {ref} extends"),
    "catalogue_taken": ("标准库中已有内容不同的 {ref}：请换一个版本号",
                        "the catalogue already holds other content as {ref}; give it another version"),
    "not_published_yet": ("{ref} 还是草案：发布后才能共享", "{ref} is a draft; publish it before sharing it"),
    "no_catalogue_entry": ("标准库中没有与社区「{community}」共享的 {ref}",
                           "the catalogue has no {ref} shared with {community}"),
    "adoption_closed": ("{ref} 已发布，审议记录不能再添加", "{ref} is published; its adoption record is closed"),
    "ruleset_n_problems": ("评定标准有 {n} 个问题，逐条列出了行和列",
                           "the ruleset has {n} problem(s); each is listed with its line and column"),
    "facts_n_rejected": ("{total} 条事实中有 {bad} 条未被接受，全部未保存",
                         "{bad} of {total} fact(s) rejected; nothing was stored"),
    "tests_failed": ("{failed} 项内置测试（共 {total} 项）未通过，{ref} 仍是草案",
                     "{failed} of {total} embedded test(s) failed; {ref} stays a draft"),
    "fact_in_future": ("事实「{fact}」的时间 {occurred} 晚于现在", "fact '{fact}' is dated {occurred}, after now"),
    # what-if simulations (simulations.jobs, simulations.recorded) and their jobs (xinzhi.jobs)
    "period_unreadable": ("时期「{period}」读不出来：请写 2021、2021-03、2021-Q2 或 2021-01-01..2021-06-30",
                          "period '{period}': write 2021, 2021-03, 2021-Q2 or 2021-01-01..2021-06-30"),
    "period_no_month": ("时期「{period}」：没有 {month} 月", "period '{period}': no month {month}"),
    "period_no_day": ("时期「{period}」里有不存在的日期（如 0000 年、2 月 30 日）", "period '{period}': no such day"),
    "period_backwards": ("时期「{period}」：结束早于开始", "period '{period}': the end is before the start"),
    "period_out_of_range": ("时期「{period}」：要在 {first}–{last} 年之内，最长 {most} 个月",
                            "period '{period}': a period lies in {first}–{last} and spans at most {most} months"),
    "period_in_future": ("时期「{period}」在今天（{today}）之后才开始：用记录的事实模拟，只能选已经开始的时期",
                         "period '{period}': it begins after today ({today}); what-ifs replay what was recorded"),
    "store_needs_period": ("用记录的事实模拟（kind: store）要写时期「period」：2021、2021-03、2021-Q2 或 起..止",
                           "a store source needs a period (2021, 2021-03, 2021-Q2 or a..b)"),
    "scenario_only": ("只有按情景模拟（kind: scenario）才写这一项", "only a scenario source takes this"),
    "store_only_period": ("只有用记录的事实模拟（kind: store）才写时期「period」",
                          'only a store source ("kind": "store") takes a period'),
    "no_scenario": ("没有情景「{scenario}」（现有：{known}）", "no scenario '{scenario}' (known: {known})"),
    "too_many_simulated": ("{residents} 位居民超过了本服务能模拟的人数（{most}，XINZHI_SIMULATION_MAX_RESIDENTS）",
                           "{residents} residents is more than this service simulates "
                           "({most}, XINZHI_SIMULATION_MAX_RESIDENTS)"),
    "too_many_resident_months": ("{residents} 位居民 × {months} 个月，超过了 {most} 人·月"
                                 "（XINZHI_SIMULATION_MAX_RESIDENT_MONTHS）：请少模拟一些",
                                 "{residents} residents × {months} months is more than {most} resident-months "
                                 "(XINZHI_SIMULATION_MAX_RESIDENT_MONTHS); simulate fewer"),
    "bulk_unsupported": ("批量计算（polars-bulk）算不了这份标准里的 {n} 处写法：请用默认的 durable-rules（{why}）",
                         "{why}"),
    "simulations_busy": ("本社区已有 {waiting} 次模拟在排队或运行：请等它们完成（或取消一些）再提交",
                         "{waiting} simulation(s) of this community are queued or running; wait for them "
                         "(or cancel some) before starting another"),
    "no_simulation": ("社区「{community}」没有模拟「{job}」", "community '{community}' has no simulation '{job}'"),
    "simulation_ended": ("模拟「{job}」已经{status}，没有什么可以取消的",
                         "simulation '{job}' is already {status}: there is nothing to cancel"),
    "simulation_failed_report": ("模拟「{job}」失败了，没有报告：GET …/simulations/{job} 说明了原因",
                                 "simulation '{job}' failed: {error}; GET …/simulations/{job} says more"),
    "simulation_cancelled_report": ("模拟「{job}」已取消，没有报告", "simulation '{job}' was cancelled; "
                                    "GET …/simulations/{job} says more"),
    "simulation_waiting_report": ("模拟「{job}」{status}，报告还没有好（GET …/simulations/{job}）",
                                  "simulation '{job}' is {status}; its report is not ready (GET …/simulations/{job})"),
    "upstream_problems": ("{ref} 换到 {target} 上有问题：请在草案里改好",
                          "candidate_upstream: {ref} on {target} has problems; fix them in a draft"),
    "job_queued": ("还在排队", "queued"),
    "job_running": ("正在运行", "running"),
    "job_done": ("完成", "done"),
    "job_failed": ("失败", "failed"),
    "job_cancelled": ("取消", "cancelled"),
    # the catalogue (xinzhi.catalogue)
    "redeemed_at_by_staff": ("只有工作人员才能补记兑换的时间（「redeemed_at」）：居民兑换即为现在",
                             "only staff date a redemption ('redeemed_at', for a paper voucher); a resident "
                             "redeems now"),
    "redemption_id_random": ("居民的兑换单号要用随机生成的 UUID（如 3f2b9c4e-…）：编号由工作人员使用",
                             "a resident's redemption is numbered by a random UUID (3f2b9c4e-…); numbers are "
                             "the office's"),
    "query_twice": ("查询参数「{name}」写了不止一次：每个只写一次", "the query parameter '{name}' is given more than "
                    "once; give it once"),
    "catalogue_id_owned": ("编号「{id}」已被另一个社区的标准使用：只有它能放入新版本，请给这份标准换一个编号",
                           "the id '{id}' is another community's: only it adds versions under it; "
                           "give this standard another id"),
    "no_share_community": ("没有社区「{community}」，无法共享给它",
                           "there is no community '{community}' to share with"),
    "no_extends_line": ("这份标准没有顶层的「extends」一行，无法换上游",
                        "the standard has no top-level extends line to move"),
    "no_newer_parent": ("标准库中没有比 {extends} 更新、并共享给社区「{community}」的 {ref}",
                        "the catalogue has no {ref} newer than {extends} shared with {community}"),
    "nothing_to_move_to": ("{ref} 没有更新的上游可以换", "{ref} has no newer parent to move to"),
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
    "finer_than_decimals": "{value} 的小数位超过了标准允许的位数（{decimals} 位）",
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
    "input.day_written": "要写成年-月-日，如 2024-02-29",
    "input.moment_written": "要写成文字的时间，如 2024-06-01T10:00:00+08:00",
    "input.redeemed_between": "兑换的时间要在 {first}–{last} 年之间",
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
    "input.invisible_character": "不能含有看不见的字符 {code}（控制符或格式符，多半是复制粘贴带进来的）",
    "input.id_unaddressable": "「{value}」不能作编号：编号里不能有 / 或控制字符，也不能是 . 或 ..",
    "input.version_too_large": "「@」后的版本号最多是 {most}",
    "input.held_later": "{day} 晚于今天：会议开过之后再记录",
    "input.moved_in_later": "{day} 晚于今天：请登记已经入住的日期",
    "input.needed_for": "操作是「{action}」时必须填写",
    "input.adjusts_nothing": "调整要写一个不为 0 的「index_delta」（诚信指数）或「points_delta」（积分）",
    "input.number_underscore": "「{text}」不是数字：请只写数字，不要带下划线「_」",
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
    "input.string_pattern_mismatch": "格式不对{shape}", "input.value_error": "的值不符合要求：{error}",
    "input.json_invalid": "不是有效的 JSON", "input.json_type": "应为 JSON",
    "input.union_tag_invalid": "类型不对", "input.union_tag_not_found": "类型不对",
    "since_after_as_of": "起始日期 {since} 晚于结算日期 {as_of}：两者之间没有可以结算的周期",
    "closing_from_too_large": "从 {since} 起结算要判定约 {cost} 个周期，超过了 {most} 个：请选一个更晚的日期",
    "body_not_approved": "「{body}」还没有通过 {ref}",
    "fact.no_resident": "事实「{fact}」：本社区没有居民「{resident}」",
    "fact.no_household": "事实「{fact}」：本社区没有人登记在户「{household}」",
    "fact.in_future": "事实「{fact}」的时间是 {when}，晚于现在：还没有发生的事不能计分",
    "fact.not_in_force": "事实「{fact}」：{day} 这一天本社区没有已发布的评定标准生效",
    "moment.digits": "「{text}」不是日期：请写成 2026-11-20 09:00（八位数字按年月日读）",
    "moment.unreal": "「{text}」不是真实存在的日期或时间",
    "moment.number": "「{text}」是数字，不是日期：请写成 2026-11-20 09:00",
    "moment.short_year": "「{text}」：年份请写四位，如 2026-11-20",
    "moment.ambiguous": "「{text}」分不清日和月：请把年份写在前面，如 2026-11-20",
    "moment.day_with_time": "「{text}」是日期：请不要写时刻，如 2026-11-20",
    # reading a ruleset file (engine._source, engine.loader)
    "yaml_value": "有一个值读不出来，多半是不存在的日期（如 2026-02-30）：请检查年、月、日",
    "not_a_mapping": "评定标准文件要由“键: 值”组成（如 id、version、rules）",
    "too_large.bytes": "评定标准文件超过了 {most} 字节",
    "too_large.aliases": "评定标准里的引用（*名称）展开后超过 {most} 个值：请把这些值直接写出来",
    "too_large.depth": "评定标准的层次超过了 {most} 层",
    "bad_character.file": "文件里有不能用的字符 {char}（看不见的控制字符）：请删掉它",
    "bad_character.text": "文字里有不能用的字符 {char}（看不见的控制字符或残缺的字符）：请删掉它",
    "bad_character.key": "键名里有不能用的字符 {char}（看不见的控制字符或残缺的字符）：请删掉它",
    "bad_character.unknown": "文件里有读不出来的字符：请删掉它",
    "bad_character.encoding": "文件从这里起不是 UTF-8 编码（多半存成了 GBK）："
                              "请另存为 UTF-8（记事本：“另存为”，编码选 UTF-8）",
    # a part of a ruleset that cannot stand on its own (engine.ruleset); said after the key, as an input's reason
    "limit.span": "：上限要写「period」（日、周、月、季度、年）或「days」（滚动的天数），只写其中一个",
    "limit.cap": "：上限要写「max」（分数）、「times」（次数），或两个都写",
    "repeats.span": "：要写「period」（日、周、月、季度、年）或「days」（滚动的天数），只写其中一个",
    "repeats.scale": "：要写「amounts」（每一次的分值）或「multipliers」（规则分值的倍数），只写其中一个",
    "field.enum_values": "：选项字段（enum）要有一个不为空的「values」列表",
    "field.values_not_enum": "：只有选项字段（enum）才写「values」",
    "field.min_above_max": "：最小值（min）{min} 大于最大值（max）{max}，什么值都填不进去",
    "field.title_unknown_value": "：「titles」里的「{value}」不是这个字段的选项（可选：{values}）",
    "field.title_ambiguous": "：「titles」里的「{title}」是空的、写了两次或是另一个选项的编号，"
                             "表格里写它就分不清是哪个选项",
    "comparison.empty": "：比较至少要写一项：is、is_not、above、at_least、below、at_most、in、not_in、present",
    "condition.empty": "：空的条件什么也不检查，请写一个字段，或用 all、any、not",
    "award.one_form": "：分值要写「points」（可以加「per」）或「table」，只写其中一种",
    "award.per_without_points": "：写了「per」就要写「points」（每单位的分值）",
    "award.every_without_per": "：写了「every」就要写「per」（按哪个字段的数量分段计分）",
    "veto.does_nothing": "：一票否决要限制等级（「tier_at_most」）、设定分数（「score_to」）"
                         "或设一个标记（「flag」），至少一项",
    "veto.how_long": "：请写明持续多久：「until_end_of」（到某个周期结束）或「months」（几个月），只写其中一个",
    "period_points.bound": "：请写「at_least」或「at_most」（或两个都写）",
    "period_rule.condition": "：周期规则要写「without」（哪些分类没有记录）或「points」（某个分类的分数范围）",
    "period_rule.zero": "：「award」为 0 就什么也不发",
    "expected.fact_or_period": "：预期的一笔要写它的「fact」或「period」，只写其中一个",
    "fact.nobody": "：事实要写明是哪位居民（一户整体的事实写明是哪一户）",
    # what the whole ruleset says together (engine.checks, engine.extends)
    "missing_key_inherited": "缺少必填的「{key}」（所继承的标准里也没有）",
    "not_declared": "「{value}」不是本社区登记的{kind}（登记的有：{choices}）",
    "roster.unknown_label": "「{value}」不是本社区的{kind}：请写{choices}",
    "item_given_twice": "商品「{item}」在这份清单里出现了两次（另一处在 {at}），两处信息不一样：请只保留一处",
    "unknown_tier": "「{tier}」不是现行标准的诚信等级：请写 {tiers} 之一",
    "no_tiers": "现行标准没有诚信等级，不能写最低等级「{tier}」",
    "resident_given_twice": "居民「{resident}」在这份名单里出现了两次（另一处在 {at}），两处信息不一样：请只保留一处",
    "day_outside_years": "「{key}」的日期 {day} 不在 2000–2099 年之间",
    "dates_reversed": "结束日期「effective_to」（{end}）早于开始日期「effective_from」（{start}）",
    "charged_to_role_misplaced": "「charged_to_role」是把一户整体的事实记到户里某位成员（如户主）名下："
                                 "只有写了「names: household」的事实类型才能用，而且账户要按居民记，不按户记",
    "reserved_field": "字段名「{name}」是保留的名字，请换一个",
    "too_many_decimals": "{value} 的小数位数超过了「accounts.decimals」允许的 {decimals} 位",
    "lifts_itself": "规则不能撤销自己：否则它的每一件新事实都会解除上一件设下的处理",
    "lifts_nothing": "规则「{name}」既没有一票否决（「veto」）也不带入下一期（「carries_over」），没有可撤销的；"
                     "可以撤销的规则有{rules}",
    "lifts_nothing.none": "规则「{name}」既没有一票否决（「veto」）也不带入下一期（「carries_over」），没有可撤销的",
    "reset_twice": "{account}账户的清零写了两次：每个账户只写一次",
    "expire_and_reset": "积分既设了到期（「accounts.points_expire」）又在这里清零：两者只能选一个",
    "carries_over_awards": "只有扣分才能带入下一期，而这条规则可能加分",
    "carries_over_no_reset": "这条规则扣减的账户（{accounts}）都没有设清零（「accounts.resets」），"
                             "没有什么可带入下一期",
    "exclusive_alone": "同一事项组「{group}」只有规则「{rule}」一条可用：同一事项组是在两条或更多规则中按最高一档计分",
    "exclusive_mixed": "同一事项组「{group}」混用了不同的事实类型{facts}："
                       "只有同一种事实类型的规则才会对同一件事实计分",
    "defined_twice": "{kind}「{name}」定义了两次",
    "tier_bounds": "等级「{tier}」的「index_below」必须大于「index_from」",
    "tier_gap_below": "诚信指数低于 {index} 时不属于任何等级：最低的等级（「{tier}」）请不要写「index_from」",
    "tier_gap_above": "诚信指数达到 {index} 及以上时不属于任何等级：最高的等级（「{tier}」）请不要写「index_below」",
    "tier_overlap": "等级「{lower}」和「{upper}」的范围重叠",
    "tier_gap_between": "诚信指数从 {start} 到 {end}（不含 {end}）不属于任何等级（在「{lower}」和「{upper}」之间）",
    "absence_only": "规则「{rule}」只会因为有字段没填而对上：请加一个条件，要求某个字段已填写或等于某个值",
    "absence_only.earlier": "之前的「{fact}」只会因为有字段没填而对上：请加一个条件，要求某个字段已填写或等于某个值",
    "needs_numeric": "「{key}」要用数字字段，而「{field}」是{field_type}",
    "per_unbounded": "按「{field}」计分，要给「{field}」写「min」和「max」，"
                     "使一次加减不超过 ±{largest} 分（每单位 {points} 分）",
    "table_key_mismatch": "查表的值「{value}」：{reason}",
    "condition_mismatch": "条件「{field}」的「{word}」写的「{value}」：{reason}",
    "mismatch.type": "字段是{field_type}，写的却是{value_type}",
    "mismatch.enum": "不是{values}之一",
    "order_on_unordered": "「{word}」是比大小，而「{field}」是{field_type}，不能比大小",
    "amounts_need_fixed_points": "「amounts」按次数替换规则的固定分值；"
                                 "按单位计分或查表计分的规则请改用「multipliers」（倍数）",
    "amount_sign": "第 {n} 次的分值 {amount}：规则的分值是 {points}，"
                   "每一次的分值都要与它同为加分或同为扣分（且不能为 0）",
    "limit_no_rule": "{kind}「{name}」没有启用的规则：它的上限什么也限制不了",
    "per_member_by_resident": "「per: member」是按户里每位成员分别计数，"
                              "而本标准的账户按居民记：每个人本来就是分开计数的",
    "limit_wrong_sign": "这条上限限制的是{sign}，但{kind}「{name}」没有会{sign}的启用规则：它什么也限制不了",
    "limit_twice": "{kind}「{name}」的{sign}有两条{span}的上限：请合成一条，同时写「max」和「times」",
    "expected_by_period": "规则「{rule}」在周期结束时计分：请写「period」（如 2021-12），不要写「fact」",
    "expected_by_fact": "规则「{rule}」按事实计分：请写「fact」，不要写「period」",
    "test_closes_nothing": "这个测试预期有周期结束时的计分，却没有结束任何周期："
                           "请加上「closes_until」（如 2022-01-01）",
    "extends_cycle": "「extends」绕成了一个圈：{cycle}",
    "extends_unknown": "「extends」写的是「{ref}」，但没有这个编号和版本的标准",
    "override_unknown": "「{parent}」中没有规则「{rule}」，无法修改{suggestion}",
    "rule_in_parent": "规则「{rule}」在「{parent}」中已经有了：要修改它，请写在「overrides」下",
    # facts (engine.facts, engine.evaluator)
    "fact_id_conflict": "事实编号「{fact}」{earlier}，但内容（类型、居民、时间或字段）不同：同一个编号只能指同一件事",
    "fact_unknown_type": "事实「{fact}」的类型「{type}」不是本标准定义的；本标准的事实类型有{known}",
    "fact_not_object": "每条事实都要写成“键: 值”的形式（JSON 对象）",
    "holder.household": "必须填写：本标准按户记账（「accounts.held_by」），请写明是哪一户",
    "holder.member": "必须填写：这件事实是关于户里哪位成员的",
    "holder.no_member": "不能填写：一户整体的事实只写明是哪一户，不写成员",
    "holder.resident": "必须填写：本标准按居民记账，请写明这件一户整体的事实记到哪位居民名下（如户主）",
    "closing_too_large": "结算到 {until} 的各个周期，{residents} 位居民共要判定约 {cost} 个周期，超过了 {most} 个："
                         "请结算到更早的日期，或减少居民",
    # a request's body (api.bodies)
    "body.utf16": "请求的内容是 UTF-16（或 UTF-32）文字：请用 UTF-8 编码发送",
    "body.long_number": "请求的内容里有一个几千位的数字",
    "body.unstorable": "文字里有不能用的字符 {code}（空字符或残缺的字符）：没有人会这样写，数据库也无法保存",
    "json.bom": "开头多了一个字节顺序标记（BOM）",
    "body.not_utf8": "请求的内容不是 UTF-8 文字（第 {byte} 个字节读不出来）：请用 UTF-8 编码发送",
    "body.not_json": "请求的内容不是有效的 JSON：第 {line} 行第 {column} 个字符处{fault}",
    "body.too_deep": "请求的内容里列表和对象嵌套的层次太多",
    "json.value": "缺少值（或多了一个逗号）",
    "json.comma": "缺少逗号「,」",
    "json.colon": "缺少冒号「:」",
    "json.key_quotes": "键名要用双引号括起来（也可能是多了一个逗号）",
    "json.unclosed": "有引号没有配对",
    "json.control": "引号里的换行或制表符要写成 \\n 或 \\t",
    "json.escape": "反斜杠「\\」后面的字符不能这样转义",
    "json.extra": "JSON 已经结束，后面还有多余的内容",
    # files of facts (engine.factfiles)
    "file.not_text": "文件不是 UTF-8 或 GBK 文字（第 {byte} 个字节读不出来）：请在 Excel 中另存为“CSV UTF-8”或 .xlsx",
    "xlsx.as_text": ".xlsx 文件是二进制文件：请直接上传文件本身",
    "jsonl.invalid": "这一行不是有效的 JSON",
    "jsonl.not_object": "每一行都要是一条“键: 值”形式的事实（JSON 对象）",
    "file.not_regular": "这不是一个事实文件（是文件夹、设备或管道）",
    "jsonl.too_deep": "这一行嵌套的层次比一条事实深得多",
    "jsonl.too_long": "有一行超过了 {most} 个字符（一条事实只有几百个）",
    "table.missing_columns": "表头缺少这些列：{titles}（{missing}）",
    "table.columns_twice": "有两列是同一个键：{keys}，每个只留一列",
    "table.unstorable": "有单元格含有空字符（NUL）或残缺的字符：没有人会这样写，也无法保存",
    "table.unheaded": "第 {column} 列的表头是空的，这一列却有内容：请给它写上表头，或删掉内容",
    "table.extra_cells": "这一行有 {cells} 个单元格，表头只有 {columns} 列：带逗号的值（如 1,000）要加引号",
    "csv.unreadable": "不能按 CSV 读取：可能有单元格太长，或引号没有配对",
    "xlsx.too_many_rows": "一张工作表最多 {most} 行事实",
    "xlsx.uncached_formula": "有单元格是还没算出结果的公式（由程序生成的文件），读出来是空的："
                             "请用 Excel 或 WPS 打开后保存一次再上传",
    "xlsx.too_wide": "表头超过了 {most} 列",
    "xlsx.beyond_header": "{column} 列有内容，超出了表头的 {columns} 列：请删掉它，或给这一列写上表头",
    "xlsx.merged_across": "单元格 {cells} 跨列合并了：请取消合并，在每一列写各自的值",
    "xlsx.damaged": "不能按 .xlsx 工作簿读取：文件可能已损坏，请用 Excel 重新保存",
    "xlsx.inflated": "工作簿解压后有 {size} 字节，最多只读 {most} 字节",
    "xlsx.too_many_sheets": "工作簿有 {sheets} 个工作表：只读取第一个工作表，而且最多 {most} 个工作表",
    "xlsx.zoned_date": "有日期单元格带了时区，读取时会丢失：请把这个时间写成文字（如 2026-02-01T10:00:00+09:00）",
    "xlsx.not_zip": "不是 .xlsx 工作簿（.xlsx 文件是一个 zip 压缩包）",
    "xlsx.too_full": "工作簿里的内容比一张事实表应有的多：请只保存事实，或把文件拆开",
    # a ruleset's embedded tests (engine.testing)
    "test.award_missing": "预期的这一笔没有出现：{award}",
    "test.award_extra": "出现了测试没有预期的一笔：{award}",
    "test.award_for_fact": "事实「{fact}」按规则「{rule}」{amount} 分{limited}",
    "test.award_for_period": "周期 {period} 按规则「{rule}」{amount} 分{limited}",
    "test.limited": "（被上限「{limit}」削减）",
    "test.unlimited": "",
    "test.balance": "居民「{resident}」的{part}是 {actual}，预期是 {expected}",
}

#: What an unknown reference names, by the problem's code.
_NOUNS_ZH = {"ruleset_unknown_category": "分类", "ruleset_unknown_tier": "等级",
             "ruleset_unknown_fact_type": "事实类型", "ruleset_unknown_field": "字段", "ruleset_unknown_rule": "规则"}

#: Words of the ruleset language a sentence names (a kind of part, an account, a type, a period, a sign), in Chinese.
_TERMS_ZH = {
    "rule": "规则", "category": "分类", "tier": "等级", "fact type": "事实类型", "test": "测试",
    "index": "诚信指数", "points": "积分", "flags": "标记", "awards": "加分", "deductions": "扣分",
    "int": "整数", "number": "数字", "string": "文字", "bool": "是或否", "enum": "选项", "date": "日期",
    "str": "文字", "float": "小数", "list": "列表", "dict": "键值对", "NoneType": "空值", "datetime": "日期和时刻",
    "zone": "分区", "role": "身份", "day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年",
}
#: The parameters that hold such words (several joined by ", ").
#: The shapes of ids a request may name, in words (the patterns are the models').
_SHAPES_ZH = {
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$": "以字母或数字开头，只用英文字母、数字、- 和 _，最多 64 个字符",
    r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$": "以字母或数字开头，只用英文字母、数字和 - _ . :，最多 64 个字符",
    r"^[a-z][a-z0-9_-]{0,63}$": "以小写英文字母开头，只用小写英文字母、数字、- 和 _，最多 64 个字符",
}
_TERMED = ("kind", "account", "accounts", "part", "field_type", "value_type", "sign")
#: The parameters that list names (joined by ", "), each said in 「」.
_LISTED = ("facts", "rules", "known", "keys", "values", "missing")
#: Where a fact's id was met before (``Fact.conflict``'s words, chosen by its callers).
_EARLIER_ZH = {"given earlier in the same input": "在同一批中已经出现过",
               "given earlier in the same request": "在同一次提交中已经出现过",
               "stored before": "已经登记过", "stored meanwhile": "刚刚已被登记"}

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
    template = PROBLEMS_ZH[says] if says in PROBLEMS_ZH else SENTENCES[says][0] if says in SENTENCES else None
    if template is None:
        return None
    values = dict(params)
    for key, part in params.items():  # a part that is itself a sentence (why, an award): said first
        if isinstance(part, Message):
            values[key] = part.render("zh")
        elif isinstance(part, dict):
            values[key] = _said(part.get("says", ""), part.get("params", {}))
            if values[key] is None:
                if key != "reason":
                    return None
                values[key] = "的值不符合要求"
    for key in _TERMED:
        if key in values:
            values[key] = "、".join(_TERMS_ZH.get(word, word) for word in str(values[key]).split(", "))
    for key in _LISTED:
        if values.get(key):
            values[key] = "、".join(f"「{name}」" for name in str(values[key]).split(", "))
    if "span" in values:  # a limit's: a period's name, or a rolling window of days ("30d")
        span = str(values["span"])
        values["span"] = f"每 {span[:-1]} 天" if span[:-1].isdigit() else f"每{_TERMS_ZH.get(span, span)}"
    if "pattern" in values:  # an id's shape, as a clerk would be told it
        shape = _SHAPES_ZH.get(str(values["pattern"]))
        values["shape"] = f"：{shape}" if shape else ""
    if "earlier" in values:
        values["earlier"] = _EARLIER_ZH.get(values["earlier"], "已经用过")
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
