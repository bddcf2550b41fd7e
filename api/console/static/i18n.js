// Every label and message of the console in Chinese (default) and English.
const STRINGS = {
  zh: {
    app_title: "信治 · 社区诚信积分控制台", lang_switch: "English", sign_out: "退出",
    signin_title: "登录", signin_hint: "粘贴您的令牌（由社区办公室用 xinzhi token create 生成）。令牌只保存在本标签页。",
    signin_button: "登录", signin_bad: "令牌无效或已撤销。", community: "社区",
    nav_rulesets: "评定标准", nav_whatif: "模拟推演", nav_residents: "居民与家庭", nav_counter: "信用超市柜台",
    nav_council: "诚信议事会", nav_reviews: "审核与异议", nav_mine: "我的积分", nav_board: "公示大屏",
    roles: "角色", role_committee: "积分评定委员会", role_staff: "社区工作人员", role_resident: "居民",
    loading: "加载中…", error: "出错了", forbidden: "您的令牌无权打开此页面。",
    // rulesets
    rulesets_title: "评定标准与版本", version: "版本", status: "状态", effective_from: "生效日期", title: "标题",
    status_draft: "草稿", status_published: "已发布", in_force: "现行", open: "打开", new_draft: "基于此版本新建草稿",
    editor_title: "编辑标准", validate: "校验并保存草稿", run_tests: "运行内置测试", show_diff: "与现行版本对比",
    publish: "发布", validating: "校验中…", valid_saved: "校验通过，草稿已保存：{ref}",
    problems_n: "发现 {n} 个问题", line_col: "第 {line} 行第 {column} 列", no_line: "（无行号）",
    tests_result: "测试：{passed}/{total} 通过", test_pass: "通过", test_fail: "未通过",
    diff_title: "逐条规则对比：{base} → {other}", diff_none: "与现行版本相比没有规则变化。",
    change_added: "新增", change_removed: "删除", change_changed: "修改", before: "原", after: "新",
    other_changes: "其他变化", published_ok: "已发布 {ref}：{passed}/{total} 项测试通过。",
    publish_refused: "发布被拒绝：{detail}", read_only: "此版本已发布，不能修改；请新建草稿。",
    save_first: "请先校验并保存草稿。", no_in_force: "没有现行版本可对比。",
    form_title: "常用修改（自动改写 YAML）", form_rule: "规则", form_points: "每次分值", form_per: "按字段计",
    form_table: "查表分值（如 5:5, 4:3）", form_limits: "上限（如 month:10, day:16；留空表示不设上限）",
    form_limits_yaml: "此规则的上限含次数、滚动天数或扣分方向，请在左侧 YAML 中修改",
    form_enabled: "启用此规则", form_apply: "写入 YAML", form_applied: "已改写规则 {rule} 的 YAML，正在重新校验…",
    form_not_here: "规则 {rule} 不在本文件中（来自所继承的标准），请在 overrides 中修改。",
    lines: "行",
    // what-if
    whatif_title: "模拟推演（What-if）", baseline: "基准标准", candidate: "候选标准", scenario: "情景",
    start: "开始", progress: "进度", report: "报告", whatif_unavailable: "模拟推演接口尚未启用。",
    whatif_points: "发放积分", whatif_zone: "分区", whatif_liability: "兑换负债", whatif_tiers: "等级变化",
    whatif_rules: "各规则影响", residents_n: "居民数", months_n: "月数", seed: "随机种子",
    whatif_scenario: "模拟人口（情景）", whatif_store: "已记录的事实（某段时间）", whatif_source: "事实来源", whatif_period: "时间段",
    whatif_metric: "指标", whatif_delta: "变化", job_queued: "排队中", job_running: "运行中", job_done: "已完成", job_failed: "失败",
    // residents
    residents_title: "居民与家庭", search: "搜索（姓名、编号、户号）", name: "姓名", zone: "分区", household: "户号",
    index: "诚信指数分", points: "可兑换积分", tier: "等级",
    categories: "分类合计", ledger: "积分明细", expiring: "即将到期", expires_on: "到期日", entries: "条数",
    category: "分类", amount: "分值", when: "时间", explanation: "说明", not_found_resident: "未找到居民 {id}，或您无权查看。",
    household_title: "家庭 {id}", members: "成员", index_total: "指数合计", index_average: "人均指数",
    points_total: "积分合计", nothing_expiring: "暂无到期积分。", more: "更多",
    // ledger explanations
    limit_reached: "{period}{scope}已达上限 {max} 分", scope_rule: "该项", scope_category: "该类",
    period_day: "今日", period_week: "本周", period_month: "本月", period_quarter: "本季度", period_year: "本年",
    raw_was: "（原应 {raw}）", kind_redemption: "信用超市兑换", kind_refund: "兑换退回", kind_expiry: "积分到期",
    kind_adjustment: "申诉调整",
    // counter
    counter_title: "信用超市柜台", resident_id: "居民编号", lookup: "查询", item: "商品/服务", price: "所需积分",
    stock: "库存", min_tier: "最低等级", redeem: "兑换", redeemed: "已为 {resident} 兑换 {item}，扣 {points} 分，剩余积分 {after}。",
    refused: "兑换被拒绝：{reason}", insufficient_points: "积分不足", out_of_stock: "库存不足", tier_too_low: "信用等级不够",
    balance: "当前积分 {points}，诚信指数分 {index}（{tier}）",
    // council
    council_title: "诚信议事会", report_case: "上报纠纷", kind: "类型", building: "楼栋", description: "情况描述",
    parties: "当事人（居民编号，逗号分隔）", reported_by: "上报人", submit: "提交", cases: "案件",
    case_reported: "已上报", case_convened: "已召集", case_closed: "已结案", convene: "召集议事会",
    members_hint: "每行一位：姓名,角色,居民编号（角色：staff / property_company / alley_steward / resident_representative）",
    close_case: "结案", outcome: "调解结果", satisfaction: "满意度（1–5）", case_closed_ok: "案件 {id} 已结案，赋分 {n} 条。",
    kind_neighbour_dispute: "邻里纠纷", kind_parking_space: "车位", kind_water_leak: "漏水", kind_noise: "噪音", kind_other: "其他",
    statistics: "统计", awards: "赋分",
    // reviews
    reviews_title: "待审核赋分与异议", reviews: "待审核", objections: "异议", approve: "批准", reject: "驳回",
    notice: "公示号", resolution: "处理意见", upheld: "成立（撤销赋分）", dismissed: "不成立", objection_open: "待处理", objection_upheld: "成立", objection_dismissed: "不成立", resident: "居民", rule: "规则", reason: "理由", none: "暂无。",
    // board
    board_title: "{name} · 诚信积分公示", board_ranking: "诚信榜", board_tiers: "等级分布", board_active: "本月最活跃的类别",
    board_updated: "更新于 {time}", board_rank: "名次", board_people: "{n} 人", board_entries: "{n} 次",
    board_ruleset: "现行标准：{ref}", board_offline: "暂时无法更新，显示的是上次的数据。",
    board_no_community: "没有社区「{community}」：请检查地址中的 community=…",
  },
  en: {
    app_title: "Xinzhi · integrity points console", lang_switch: "中文", sign_out: "Sign out",
    signin_title: "Sign in", signin_hint: "Paste your token (created by the community office with xinzhi token create). It is kept in this tab only.",
    signin_button: "Sign in", signin_bad: "The token is unknown or revoked.", community: "Community",
    nav_rulesets: "Standard", nav_whatif: "What-if", nav_residents: "Residents & households", nav_counter: "Shop counter",
    nav_council: "Integrity council", nav_reviews: "Reviews & objections", nav_mine: "My points", nav_board: "Lobby board",
    roles: "Roles", role_committee: "points committee", role_staff: "community staff", role_resident: "resident",
    loading: "Loading…", error: "Something went wrong", forbidden: "Your token may not open this page.",
    rulesets_title: "Rulesets and versions", version: "Version", status: "Status", effective_from: "Effective from", title: "Title",
    status_draft: "draft", status_published: "published", in_force: "in force", open: "Open", new_draft: "New draft from this version",
    editor_title: "Edit the standard", validate: "Validate & save draft", run_tests: "Run embedded tests", show_diff: "Diff against version in force",
    publish: "Publish", validating: "Validating…", valid_saved: "Valid; draft saved: {ref}",
    problems_n: "{n} problem(s) found", line_col: "line {line}, column {column}", no_line: "(no line)",
    tests_result: "Tests: {passed}/{total} passed", test_pass: "passed", test_fail: "failed",
    diff_title: "Rule by rule: {base} → {other}", diff_none: "No rule changes against the version in force.",
    change_added: "added", change_removed: "removed", change_changed: "changed", before: "before", after: "after",
    other_changes: "Other changes", published_ok: "Published {ref}: {passed}/{total} tests passed.",
    publish_refused: "Publishing refused: {detail}", read_only: "This version is published and cannot change; start a new draft.",
    save_first: "Validate and save the draft first.", no_in_force: "No version in force to compare with.",
    form_title: "Common edits (writes the YAML for you)", form_rule: "Rule", form_points: "Points each time", form_per: "per field",
    form_table: "Table values (e.g. 5:5, 4:3)", form_limits: "Limits (e.g. month:10, day:16; empty for none)",
    form_limits_yaml: "This rule's limits have counts, rolling days or a direction: edit them in the YAML",
    form_enabled: "Rule switched on", form_apply: "Write into YAML", form_applied: "Rewrote the YAML of rule {rule}; validating again…",
    form_not_here: "Rule {rule} is not in this file (it comes from the extended standard); change it under overrides.",
    lines: "lines",
    whatif_title: "What-if simulation", baseline: "Baseline", candidate: "Candidate", scenario: "Scenario",
    start: "Start", progress: "Progress", report: "Report", whatif_unavailable: "The simulation API is not enabled yet.",
    whatif_points: "Points issued", whatif_zone: "Zones", whatif_liability: "Redemption liability", whatif_tiers: "Tier movements",
    whatif_rules: "Per-rule impact", residents_n: "Residents", months_n: "Months", seed: "Seed",
    whatif_scenario: "Synthetic population (scenario)", whatif_store: "Recorded facts (a period)", whatif_source: "Facts from", whatif_period: "Period",
    whatif_metric: "Metric", whatif_delta: "Change", job_queued: "queued", job_running: "running", job_done: "done", job_failed: "failed",
    residents_title: "Residents and households", search: "Search (name, id, household)", name: "Name", zone: "Zone", household: "Household",
    index: "Integrity index", points: "Redeemable points", tier: "Tier",
    categories: "By category", ledger: "Ledger", expiring: "Expiring", expires_on: "Expires on", entries: "Entries",
    category: "Category", amount: "Amount", when: "When", explanation: "Explanation", not_found_resident: "No resident {id}, or you may not see them.",
    household_title: "Household {id}", members: "Members", index_total: "Index total", index_average: "Average index",
    points_total: "Points total", nothing_expiring: "Nothing expiring.", more: "More",
    limit_reached: "{scope} reached its limit of {max} {period}", scope_rule: "this rule", scope_category: "this category",
    period_day: "today", period_week: "this week", period_month: "this month", period_quarter: "this quarter", period_year: "this year",
    raw_was: " (would have been {raw})", kind_redemption: "Shop redemption", kind_refund: "Redemption refund", kind_expiry: "Points expired",
    kind_adjustment: "Appeal adjustment",
    counter_title: "Credit supermarket counter", resident_id: "Resident id", lookup: "Look up", item: "Item", price: "Points",
    stock: "Stock", min_tier: "Min. tier", redeem: "Redeem", redeemed: "Redeemed {item} for {resident}: {points} points spent, {after} left.",
    refused: "Redemption refused: {reason}", insufficient_points: "not enough points", out_of_stock: "out of stock", tier_too_low: "tier too low",
    balance: "Points {points}, integrity index {index} ({tier})",
    council_title: "Integrity council", report_case: "Report a dispute", kind: "Kind", building: "Building", description: "Description",
    parties: "Parties (resident ids, comma-separated)", reported_by: "Reported by", submit: "Submit", cases: "Cases",
    case_reported: "reported", case_convened: "convened", case_closed: "closed", convene: "Convene the council",
    members_hint: "One per line: name,role,resident id (role: staff / property_company / alley_steward / resident_representative)",
    close_case: "Close the case", outcome: "Outcome", satisfaction: "Satisfaction (1–5)", case_closed_ok: "Case {id} closed; {n} award(s).",
    kind_neighbour_dispute: "neighbour dispute", kind_parking_space: "parking space", kind_water_leak: "water leak", kind_noise: "noise", kind_other: "other",
    statistics: "Statistics", awards: "Awards",
    reviews_title: "Awards under review and objections", reviews: "Under review", objections: "Objections", approve: "Approve", reject: "Reject",
    notice: "Notice", resolution: "Resolution", upheld: "Uphold (reverse the award)", dismissed: "Dismiss", objection_open: "open", objection_upheld: "upheld", objection_dismissed: "dismissed", resident: "Resident", rule: "Rule", reason: "Reason", none: "None.",
    board_title: "{name} · integrity points board", board_ranking: "Ranking", board_tiers: "Tiers", board_active: "Most active categories this month",
    board_updated: "Updated {time}", board_rank: "Rank", board_people: "{n} people", board_entries: "{n} times",
    board_ruleset: "Standard in force: {ref}", board_offline: "Cannot refresh right now; showing the last data.",
    board_no_community: "There is no community \"{community}\": check community=… in the address.",
  },
};

export function lang() {
  return localStorage.getItem("xinzhi.lang") === "en" ? "en" : "zh";
}

export function setLang(value) {
  localStorage.setItem("xinzhi.lang", value);
  document.documentElement.lang = value === "en" ? "en" : "zh-CN";
}

export function t(key, params = {}) {
  const text = STRINGS[lang()][key] ?? STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? `{${name}}`));
}

export const KEYS = { zh: Object.keys(STRINGS.zh), en: Object.keys(STRINGS.en) };
