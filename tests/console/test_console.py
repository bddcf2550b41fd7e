"""The console end to end: Chromium (CDP) against ``xinzhi serve --demo`` with real tokens.

Each scenario asserts what a person would see (visible text), and saves a screenshot of each
page under ``test-artifacts/console/``.
"""

from __future__ import annotations

import json
import re

import httpx

from tests.conftest import RULESETS
from xinzhi.engine import load_ruleset_file

from .conftest import assert_chinese, sign_in
from .phone import PHONES, as_phone, layout_problems


def _line_of(text: str, rule: str, startswith: str) -> int:
    """1-based line of the first line starting with ``startswith`` inside rule ``rule``."""
    lines = text.split("\n")
    start = lines.index(f"  - id: {rule}")
    return next(i + 1 for i in range(start, len(lines)) if lines[i].startswith(startswith))


def _set_yaml(page, text: str) -> None:
    page.fill("#yaml", text)


def _wait_valid(page, ref: str) -> None:
    page.wait_text(f"校验通过，草稿已保存：{ref}", selector="#editor-status", timeout=20)
    page.wait("!document.querySelector('#gutter div.err')", message="error marks left in the gutter")


def _use_form(page, rule: str, *, points: str | None = None, limits: str | None = None) -> None:
    page.eval(f"(() => {{ const s = document.querySelector('#form-rule'); s.value = {json.dumps(rule)};"
              f" s.dispatchEvent(new Event('change')); }})()")
    if points is not None:
        page.fill("#form-points", points)
    if limits is not None:
        page.fill("#form-limits", limits)
    page.click("#form-apply")


def test_committee_edits_validates_tests_and_publishes(page, demo, artifacts):
    sign_in(page, demo, demo.token("committee"))
    page.wait_text("评定标准", selector="#nav")
    page.goto(f"{demo.base}/console/#/rulesets", wait_for="document.querySelector('#rulesets')")
    page.wait_text("亿和社区、江家寨合作社社区诚信指数分评定标准")
    page.wait_text("现行", selector="#rulesets")
    page.screenshot(artifacts / "rulesets.png")

    page.click("a.open-version[href='#/editor/yihe_2021/1']")
    page.wait("document.querySelector('#yaml') && document.querySelector('#yaml').value.includes('id: yihe_2021')")
    page.wait_text("此版本已发布，不能修改", selector="#editor-page")
    page.click("#new-draft")
    _wait_valid(page, "yihe_2021@2")

    # an error, typed into one line, appears at that line
    draft = page.eval("document.querySelector('#yaml').value")
    bad_line = _line_of(draft, "community_activity_join", "    award:")
    lines = draft.split("\n")
    lines[bad_line - 1] = "    award: {points: two}"
    _set_yaml(page, "\n".join(lines))
    page.wait(f"document.querySelector('#gutter div.err[data-line=\"{bad_line}\"]')", timeout=20,
              message=f"no error mark at line {bad_line}")
    assert page.eval("document.querySelectorAll('#gutter div.err').length") == 1
    band = page.eval(f"document.querySelector('#bands .band[data-line=\"{bad_line}\"]').innerText")
    assert "two" in band  # the message is shown on the line itself
    page.wait_text(f"第 {bad_line} 行第", selector="#problems")
    assert "two" in page.text("#problems")
    page.wait_text("发现 1 个问题", selector="#problems-head")
    page.click(f"#problems li[data-line='{bad_line}']")  # jumps to the line
    page.wait(f"document.querySelector('#yaml').value.slice(0, document.querySelector('#yaml').selectionStart)"
              f".split('\\n').length === {bad_line}")
    page.screenshot(artifacts / "editor-error.png")

    # fixed: the mark goes away and the draft is saved
    _set_yaml(page, draft)
    _wait_valid(page, "yihe_2021@2")

    # the form rewrites an award; the embedded tests then fail and the publish gate refuses, plainly
    _use_form(page, "community_activity_join", points="3")
    page.wait("document.querySelector('#yaml').value.includes('award: {points: 3}')")
    _wait_valid(page, "yihe_2021@2")
    page.click("#run-tests")
    page.wait("document.querySelector('#tests-summary')", timeout=30)
    summary = page.text("#tests-summary")
    total = len(load_ruleset_file(RULESETS / "yihe_2021.yaml").tests)
    assert re.search(rf"测试：\d+/{total} 通过", summary) and f"{total}/{total}" not in summary, summary
    assert "未通过" in page.text("#tests")
    page.click("#publish")
    page.wait_text("发布被拒绝", selector="#publish-result", timeout=30)
    assert "yihe_2021@2 仍是草案" in page.text("#publish-result")  # the server says it in the console's language
    page.screenshot(artifacts / "editor-publish-refused.png")

    # back to 2 points, and a higher monthly limit for app reports: tests pass, diff shows it, publish
    _use_form(page, "community_activity_join", points="2")
    page.wait("document.querySelector('#yaml').value.includes('award: {points: 2}')")
    _wait_valid(page, "yihe_2021@2")
    _use_form(page, "alley_steward_app_report", limits="month:12")
    page.wait("document.querySelector('#yaml').value.includes('limits: [{period: month, max: 12}]')")
    _wait_valid(page, "yihe_2021@2")
    page.click("#run-tests")
    page.wait_text(f"测试：{total}/{total} 通过", selector="#tests", timeout=30)
    page.click("#show-diff")
    page.wait_text("yihe_2021@1 → yihe_2021@2", selector="#diff-view")
    diff = page.text("#diff-table")
    assert "alley_steward_app_report" in diff and "12" in diff and "community_activity_join" not in diff
    page.click("#publish")
    page.wait_text(f"已发布 yihe_2021@2：{total}/{total} 项测试通过", selector="#publish-result", timeout=30)
    page.screenshot(artifacts / "editor-published.png")

    token = page.eval("sessionStorage.getItem('xinzhi.token')")
    versions = httpx.get(f"{demo.base}/communities/yihe/rulesets?id=yihe_2021",
                         headers={"Authorization": f"Bearer {token}"}).json()
    assert {v["version"]: v["status"] for v in versions} == {1: "published", 2: "published"}

    # every label switches to English
    page.click("#lang")
    page.wait_text("Standard", selector="#nav")
    page.click("#lang")
    page.wait_text("评定标准", selector="#nav")


def test_staff_redeems_and_closes_a_council_case(page, demo, artifacts):
    staff = demo.token("staff")
    headers = {"Authorization": f"Bearer {staff}"}
    items = httpx.get(f"{demo.base}/communities/yihe/shop/items?active=true", headers=headers).json()
    cheap = min((i for i in items if not i["min_tier"] and (i["stock"] or 0) > 0), key=lambda i: i["price"])
    dear = max(items, key=lambda i: i["price"])
    residents = httpx.get(f"{demo.base}/communities/yihe/residents?limit=500", headers=headers).json()
    scores: dict[str, dict] = {}
    rich = poor = None
    for resident in residents:  # one who can afford the cheapest item, one who cannot afford the dearest
        score = scores[resident["id"]] = httpx.get(
            f"{demo.base}/communities/yihe/residents/{resident['id']}/score", headers=headers).json()
        if rich is None and score["points"] >= cheap["price"]:
            rich = resident["id"]
        elif poor is None and score["points"] < dear["price"]:
            poor = resident["id"]  # refused: not enough points (or too low a tier)
        if rich and poor:
            break
    assert rich and poor, "the demo has no resident to redeem for, or none to refuse"

    sign_in(page, demo, staff)
    page.goto(f"{demo.base}/console/#/residents", wait_for="document.querySelector('#residents')")
    page.fill("#resident-search", rich)
    page.wait_text(scores[rich]["name"], selector="#residents")
    page.screenshot(artifacts / "residents.png")
    page.goto(f"{demo.base}/console/#/resident/{rich}", wait_for="document.querySelector('#resident-page')")
    page.wait_text("积分明细")
    assert str(scores[rich]["index"]) in page.text("#stat-index")
    page.screenshot(artifacts / "resident.png")

    page.goto(f"{demo.base}/console/#/counter/{rich}", wait_for="document.querySelector('#items')")
    page.wait_text(f"当前积分 {scores[rich]['points']}", selector="#counter-balance")
    after = scores[rich]["points"] - cheap["price"]
    page.click(f"button.redeem[data-item='{cheap['id']}']")  # asked first; 取消 spends nothing
    page.wait_text(f"兑换「{cheap['title']}」，扣 {cheap['price']} 分，兑换后剩余 {after} 分。确认吗？",
                   selector="#redeem-confirm")
    page.click("#redeem-no")
    page.wait("!document.querySelector('#redeem-confirm')")
    page.click(f"button.redeem[data-item='{cheap['id']}']")
    page.wait("document.querySelector('#redeem-yes')")
    page.screenshot(artifacts / "counter-confirm.png")
    page.eval("document.querySelector('#redeem-yes').click(); document.querySelector('#redeem-yes').click()")
    page.wait_text(f"已为 {scores[rich]['name']}（{rich}） 兑换 {cheap['title']}，扣 {cheap['price']} 分，剩余积分 "
                   f"{scores[rich]['points'] - cheap['price']}", selector="#redeem-ok")
    page.wait_text(f"当前积分 {after}", selector="#counter-balance")  # a double click spent once
    page.screenshot(artifacts / "counter-redeemed.png")
    page.click("#redeem-undo")  # a mistake at the counter: refunded and restocked, on the spot
    page.wait_text("已撤销：积分已退回，库存已恢复。", selector="#redeem-undone")
    page.wait_text(f"当前积分 {scores[rich]['points']}", selector="#counter-balance")
    page.click(f"button.redeem[data-item='{cheap['id']}']")
    page.click("#redeem-yes")
    page.wait_text(f"当前积分 {after}", selector="#counter-balance")

    page.fill("#counter-resident", poor)
    page.click("#counter-lookup")
    page.wait("document.querySelector('#counter-balance') && "
              f"document.querySelector('#counter-balance').innerText.includes('{poor}')")
    short = dear["price"] - scores[poor]["points"]  # said on the button, before anyone confirms (found by use)
    assert page.eval(f"document.querySelector(\"button.redeem[data-item='{dear['id']}']\").disabled")
    assert f"积分不足（差 {short} 分）" in page.text(f"button.redeem[data-item='{dear['id']}']")
    page.screenshot(artifacts / "counter-refused.png")

    page.goto(f"{demo.base}/console/#/council", wait_for="document.querySelector('#case-submit')")
    page.click("#case-submit")  # nothing filled in: each refusal names the form's own label (found by use)
    page.wait("document.querySelector('#case-msg .msg')")
    refused = page.text("#case-msg")
    assert "「情况描述」" in refused and "「上报人」" in refused and "reported_by" not in refused, refused
    page.eval("document.querySelector('#case-kind').value = 'noise'")
    page.fill("#case-building", "3号楼")
    page.fill("#case-description", "洗衣机夜间排水")
    page.fill("#case-parties", "N002, N003")
    page.fill("#case-reported-by", "网格员 刘")
    page.click("#case-submit")
    page.wait("document.querySelector('#case-page') && document.querySelector('#convene')")
    page.wait_text("已上报", selector="#case-status")
    assert page.eval("[...document.querySelectorAll('#convene-members input')].every(i => !i.value)")  # nobody made up
    page.click("#add-member")
    page.eval("""(() => { const rows = document.querySelectorAll('#convene-members .member');
      [['社区 王主任', 'staff', ''], ['物业 孙经理', 'property_company', ''], ['小巷管家', 'alley_steward', 'N001']]
        .forEach(([name, role, resident], i) => { const row = rows[i];
          row.querySelector('.member-name').value = name; row.querySelector('.member-role').value = role;
          row.querySelector('.member-resident').value = resident; });
    })()""")
    assert "物业公司" in page.text("#convene-members")  # roles are chosen in words
    page.click("#convene")
    page.wait("document.querySelector('#close')")
    page.wait_text("已召集", selector="#case-status")
    page.fill("#close-outcome", "约定晚十点后不用洗衣机")
    page.eval("document.querySelector(\"select[data-party='N003']\").value = '4'")
    page.click("#close")
    page.wait_text("已结案", selector="#case-status", timeout=20)
    page.wait_text("已结案，赋分", selector="#case-closed-msg")
    assert "约定晚十点后不用洗衣机" in page.text("#case-page")
    party = httpx.get(f"{demo.base}/communities/yihe/residents/N003/score", headers=headers).json()["name"]
    assert f"{party}（N003） 4" in page.text("#case-page")  # parties by name, not only their ids
    awards = page.text("#case-awards")
    assert "N002" in awards and "N003" in awards and "mediation_party" not in awards, awards  # titles, not ids
    assert "物业公司" in page.text("#case-page") and "property_company" not in page.text("#case-page")
    page.screenshot(artifacts / "council-closed.png")
    page.goto(f"{demo.base}/console/#/council", wait_for="document.querySelector('#case-stats')")
    assert "解决率" in page.text("#case-stats") and "{" not in page.text("#case-stats")  # words, not JSON


def test_resident_sees_only_their_own_page(page, demo, artifacts):
    staff = {"Authorization": f"Bearer {demo.token('staff')}"}
    other = httpx.get(f"{demo.base}/communities/yihe/residents/N002/score", headers=staff).json()
    sign_in(page, demo, demo.token("resident", community="yihe", resident="N001"))
    page.wait("location.hash === '#/mine' && document.querySelector('#resident-page')")
    page.wait_text("（N001）")
    assert page.eval("[...document.querySelectorAll('#nav a')].map(a => a.id)") == ["nav-mine", "nav-board"]
    page.screenshot(artifacts / "resident-mine.png")
    for label, (width, height) in PHONES.items():  # residents use phones: a whole year's ledger, readable
        as_phone(page, width, height)
        page.browser.pump(0.3)
        assert layout_problems(page) == [], f"my points at {width}px"
        page.screenshot(artifacts / f"resident-mine-phone-{label}.png")
    assert page.eval("document.querySelectorAll('#ledger tr').length") > 5
    page.call("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1000, "deviceScaleFactor": 1,
                                                     "mobile": False})

    page.goto(f"{demo.base}/console/#/resident/N002", wait_for="document.querySelector('#resident-missing')")
    page.wait_text("未找到居民 N002，或您无权查看。")
    assert other["name"] not in page.text()
    page.screenshot(artifacts / "resident-other-refused.png")

    page.goto(f"{demo.base}/console/#/counter", wait_for="document.querySelector('#forbidden')")
    page.wait_text("您的令牌无权打开此页面。")


def test_lobby_board_shows_masked_names_only(page, demo, artifacts):
    staff = {"Authorization": f"Bearer {demo.token('staff')}"}
    names = [r["name"] for r in httpx.get(f"{demo.base}/communities/yihe/residents?limit=500", headers=staff).json()]
    page.goto(f"{demo.base}/console/board?community=yihe&refresh=5",
              wait_for="document.body.dataset.loaded && document.querySelectorAll('li .name').length > 10")
    text = page.text()
    for words in ("诚信积分公示", "北区 · 诚信榜", "南区 · 诚信榜", "等级分布", "本月最活跃的类别", "现行标准："):
        assert words in text
    shown = page.eval("[...document.querySelectorAll('li .name')].map(e => e.innerText)")
    assert shown and all("*" in name for name in shown), shown
    assert not [n for n in names if n in text], "a full name is on the board"
    assert not re.search(r"\b[NS]\d{3}\b", text), "a resident id is on the board"
    # the month the board shows, asked again: on a month's first minutes (Shanghai) it has few categories or none
    month = page.eval("document.querySelector('#active .muted').innerText")
    active = httpx.get(f"{demo.base}/console/board-data/yihe/categories", params={"month": month}).json()
    assert page.eval("[...document.querySelectorAll('#active .cat span:first-child')].map(e => e.innerText)") == \
        [c["title"] for c in active["categories"][:8]]
    assert all(isinstance(c["awarded"], int | float) for c in active["categories"])  # an amount is a number
    for month in ("2025-13", "0000-00", "9999-12", "1999-12"):  # found by attack: each was a 200 of nothing
        assert httpx.get(f"{demo.base}/console/board-data/yihe/categories", params={"month": month}).status_code == 422
    first = page.eval("document.body.dataset.loaded")
    page.wait(f"document.body.dataset.loaded !== '{first}'", timeout=15, message="the board did not refresh itself")
    page.screenshot(artifacts / "board.png", full_page=False)
    for label, (width, height) in PHONES.items():  # the same board on a resident's phone: one column, readable
        as_phone(page, width, height)
        page.browser.pump(0.3)
        assert layout_problems(page) == [], f"the board at {width}px"
        page.screenshot(artifacts / f"board-phone-{label}.png")


def test_the_board_names_its_standard_and_a_mistyped_community(page, demo, artifacts):
    """The standard by its title, never its id; a wrong address says so instead of "cannot refresh"."""
    page.goto(f"{demo.base}/console/board?community=yihe",
              wait_for="document.body.dataset.loaded && document.querySelectorAll('li .name').length > 0")
    meta = page.text("#board-meta")
    assert "现行标准：亿和社区" in meta and "yihe_2021@" not in meta, meta
    page.goto(f"{demo.base}/console/board?community=yihee",
              wait_for="!document.querySelector('#board-offline').hidden")
    shown = page.text("#board-offline")
    assert "没有社区「yihee」" in shown and "暂时无法更新" not in shown, shown
    page.screenshot(artifacts / "board-no-such-community.png", full_page=False)


def test_committee_runs_a_what_if(page, demo, artifacts):
    sign_in(page, demo, demo.token("committee"))
    page.goto(f"{demo.base}/console/#/whatif", wait_for="document.querySelector('#whatif-start')")
    page.eval("(() => { const s = document.querySelector('#whatif-candidate'); "
              "s.value = s.options[s.options.length - 1].value; })()")
    page.fill("#whatif-residents", "60")
    page.fill("#whatif-months", "2")
    page.click("#whatif-start")
    page.wait("document.querySelector('#whatif-totals')", timeout=60, message="the what-if report did not arrive")
    page.wait_text("100%", selector="#whatif-progress")
    assert "计分事实数" in page.text("#whatif-totals")
    page.wait("document.querySelector('#whatif-frame').contentDocument.querySelectorAll('svg').length > 0",
              message="the report's charts are not in the page")
    page.screenshot(artifacts / "whatif.png")


def test_pages_render_with_every_outside_request_blocked(page, demo, artifacts):
    """A closed network: every non-localhost request fails; each page still renders in full."""
    page.block_outside_localhost()
    page.goto(f"{demo.base}/console/board?community=yihe",
              wait_for="document.body.dataset.loaded && document.querySelectorAll('li .name').length > 10")
    assert "本月最活跃的类别" in page.text()
    # board.css applied
    assert page.eval("getComputedStyle(document.querySelector('h1')).color") == "rgb(255, 216, 107)"
    page.screenshot(artifacts / "offline-board.png", full_page=False)

    sign_in(page, demo, demo.token("committee", "staff"))
    assert page.eval("getComputedStyle(document.querySelector('header#top')).backgroundColor") == "rgb(139, 26, 26)"
    pages = (("#/rulesets", "#rulesets", "现行", "in force"),
             ("#/editor/yihe_2021/1", "#gutter div", "常用修改", "Common edits"),
             ("#/residents", "#residents", "户号", "Household"),
             ("#/resident/N001", "#ledger", "积分明细", "Ledger"),
             ("#/counter/N001", "#items", "当前积分", "Points"),
             ("#/council", "#case-submit", "上报纠纷", "Report a dispute"),
             ("#/reviews", "#objections, #reviews, .card", "异议", "Objections"),
             ("#/whatif", "#whatif-start", "模拟推演", "What-if"))
    for route, ready, words, _ in pages:  # every page in Chinese, no English sentence left on it
        page.goto(f"{demo.base}/console/{route}", wait_for=f"document.querySelector({json.dumps(ready)})")
        page.wait_text(words)
        assert_chinese(page.text(), route)
        page.screenshot(artifacts / f"offline-{route.split('/')[1]}.png", full_page=False)
    page.click("#lang")
    for route, ready, _, words in pages:  # and in English on request
        page.goto(f"{demo.base}/console/{route}", wait_for=f"document.querySelector({json.dumps(ready)})")
        page.wait_text(words)
        page.screenshot(artifacts / f"offline-en-{route.split('/')[1]}.png", full_page=False)
    page.click("#lang")

    # the console's policy refuses a request to the outside before it leaves
    outcome = page.eval("fetch('http://example.invalid/probe').then(() => 'reached', () => 'blocked')")
    page.browser.pump(0.3)
    assert outcome == "blocked" and [v for v in page.violations if "example.invalid" in v], page.violations
    page.violations.clear()
    # and the interception is live: from a page without that policy, the same request is a network failure
    page.goto("about:blank")
    outcome = page.eval("fetch('http://example.invalid/probe').then(() => 'reached', () => 'blocked')")
    assert outcome == "blocked"
    outside = [u for u in page.requests if not re.match(r"^(http://(127\.0\.0\.1|localhost)(:\d+)?/|data:|about:)", u)]
    assert outside == ["http://example.invalid/probe"], outside
    assert page.blocked == ["http://example.invalid/probe"]
    assert len(page.requests) > 20  # the pages' own requests went through the interception too
    resources = page.eval("performance.getEntriesByType('resource').map(e => e.name)")
    assert all(r.startswith(demo.base) or r.startswith("http://example.invalid") for r in resources), resources


def test_form_edits_rewrite_only_the_rule_they_change(page, demo):
    """The form's YAML edits (award table, limits, switch off) in the browser give a ruleset that loads."""
    from tests.conftest import RULESETS
    from xinzhi.engine import load_ruleset

    original = (RULESETS / "yihe_2021.yaml").read_text(encoding="utf-8")
    page.goto(f"{demo.base}/console/", wait_for="document.querySelector('#signin')")
    edited = page.eval(f"""import('/console/static/yamledit.js').then(m => {{
        let text = {json.dumps(original)};
        text = m.setRuleKey(text, 'mediation_party', 'award',
                            m.flow({{table: {{field: 'satisfaction', values: m.parseTable('5:4, 4:3, 3:1')}}}}));
        text = m.setRuleKey(text, 'mediation_party', 'limits', m.flow(m.parseLimits('month:12')));
        text = m.setRuleKey(text, 'owners_meeting_attendance', 'enabled', 'false');
        text = m.setRuleKey(text, 'community_activity_join', 'limits', null);
        return [text, m.setRuleKey(text, 'no_such_rule', 'enabled', 'false'),
                [m.plainLimits([{{period: 'month', max: 12, times: null}}]), m.plainLimits([{{days: 30, times: 2}}]),
                 m.plainLimits([{{period: 'month', max: 10, applies_to: 'deductions'}}])]];
    }})""")
    text, missing, plain = edited
    assert missing is None
    assert plain == [True, False, False]  # the form leaves counts, windows and directions to the YAML
    before = load_ruleset(original, name="before.yaml")
    after = load_ruleset(text, name="after.yaml")
    rules = {r.id: r for r in after.rules}
    assert rules["owners_meeting_attendance"].enabled is False
    assert rules["mediation_party"].award.table.values == {5: 4, 4: 3, 3: 1}
    assert [(lim.period, lim.max) for lim in rules["mediation_party"].limits] == [("month", 12)]
    assert not rules["community_activity_join"].limits
    unchanged = [r.id for r in before.rules
                 if r.id not in ("mediation_party", "owners_meeting_attendance", "community_activity_join")]
    assert all(rules[i].model_dump() == next(r for r in before.rules if r.id == i).model_dump() for i in unchanged)
    # award 4 lines → 1, + limits, + enabled, − community_activity_join's limits: every other line as it was
    assert text.count("\n") == original.count("\n") - 3 + 1 + 1 - 1


def test_the_page_last_asked_for_is_the_one_shown(page, demo):
    """Two pages asked for in quick succession: the slower first one, arriving late, does not cover the second."""
    sign_in(page, demo, demo.token("committee", "staff"))
    for _ in range(3):
        page.eval("location.hash = '#/editor/yihe_2021/1'; setTimeout(() => { location.hash = '#/council'; }, 0)")
        page.wait("document.querySelector('#case-submit')", message="the page asked for last never came")
        page.browser.pump(1.5)  # time for the editor's answers to arrive
        assert page.eval("!!document.querySelector('#case-submit') && !document.querySelector('#yaml')")
        page.eval("location.hash = '#/rulesets'")
        page.wait("document.querySelector('#rulesets')")


def test_a_token_of_every_community_chooses_the_one_it_works_on(page, demo):
    """Found by use: the console always opened yihe, so another community's office saw yihe's residents."""
    committee = {"Authorization": f"Bearer {demo.token('committee')}"}
    staff = {"Authorization": f"Bearer {demo.token('staff')}"}
    assert httpx.put(f"{demo.base}/communities/console-village", headers=committee,
                     json={"name": "控制台村"}).status_code == 200
    assert httpx.put(f"{demo.base}/communities/console-long", headers=committee,  # a name as long as one may be
                     json={"name": "很长的社区名" * 33}).status_code == 200
    assert httpx.post(f"{demo.base}/communities/console-village/residents", headers=staff,
                      json=[{"id": "V001", "name": "欧阳春花", "zone": "north"}]).status_code == 200
    sign_in(page, demo, staff["Authorization"].removeprefix("Bearer "))
    page.wait("document.querySelector('#who select#community')", message="no choice of community")
    assert "控制台村（console-village）" in page.text("#community")
    page.eval("(() => { const s = document.querySelector('#community'); s.value = 'console-village';"
              " s.dispatchEvent(new Event('change')); })()")
    page.goto(f"{demo.base}/console/#/residents", wait_for="document.querySelector('#residents')")  # a reload
    page.wait_text("欧阳春花", selector="#residents")
    assert page.eval("document.querySelector('#community').value") == "console-village"  # kept in this tab
    as_phone(page, *PHONES["390"])  # found by attack: a 200-character name made the page 2,614 px wide
    page.browser.pump(0.3)
    assert layout_problems(page) == [], "the community choice on a phone"
    page.call("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1000, "deviceScaleFactor": 1,
                                                     "mobile": False})
    for token in (demo.token("staff", community="yihe"), demo.token("resident", community="yihe", resident="N001")):
        page.click("#signout")  # a token of one community shows it, by name (a resident's too: found by attack)
        sign_in(page, demo, token)
        page.wait("document.querySelector('#who span#community')", message="a scoped token was offered a choice")
        assert "亿和" in page.text("#community")


def test_a_household_that_holds_its_account_shows_it_and_every_member(page, demo):
    """Found by use: where households hold the accounts, the page drew only ``members`` (empty there)."""
    staff = demo.token("staff")
    headers = {"Authorization": f"Bearer {staff}"}
    assert httpx.post(f"{demo.base}/communities/xishan/residents", headers=headers, json=[
        {"id": "CV01", "name": "王大山", "zone": "g1", "household": "cv-wang"},
        {"id": "CV02", "name": "王小川", "zone": "g1", "household": "cv-wang"}]).status_code == 200
    assert httpx.post(f"{demo.base}/communities/xishan/facts", headers=headers, json={
        "id": "cv-deed", "type": "deed", "resident": "CV02",
        "occurred_at": "2024-03-01T10:00:00+08:00"}).status_code == 201
    sign_in(page, demo, staff)
    page.goto(f"{demo.base}/console/#/household/NH001", wait_for="document.querySelector('#community')")
    page.eval("(() => { const s = document.querySelector('#community'); s.value = 'xishan';"
              " s.dispatchEvent(new Event('change')); })()")  # on a yihe household: to xishan's list, no dead end
    page.wait("location.hash === '#/residents' && document.querySelector('#residents')",
              message="switching community on a detail page did not go to the list")
    page.goto(f"{demo.base}/console/#/household/cv-wang", wait_for="document.querySelector('#household-account')")
    page.wait_text("全家共用一个账户", selector="#household-account")
    rows = page.eval("[...document.querySelectorAll('#contributions tr')].slice(1).map(r => r.innerText)")
    assert [row.split("\t")[:3] for row in rows] == [["CV01", "王大山", "0"], ["CV02", "王小川", "5"]], rows
