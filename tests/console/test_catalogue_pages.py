"""Issue 14 point 5 in the browser: the catalogue of shared standards, a derived standard's upstream
update, and a draft's adoption by the community's bodies, as pages of the console.

Communities of their own inside the demo server (the demo's yihe and dongshan versions are left as
the other console tests expect them): ``catuia`` shares a small standard with every community and
later its next version (one award raised, one rule removed); ``catuig`` shares one with a group
(某某镇); ``catuib`` derives its own standards from the shared one, follows the update and has its
bodies decide on a draft. Every page is opened with the network to the outside cut, in Chinese and
English, on a desktop and a 390 px phone; screenshots go to ``test-artifacts/console/``.
"""

from __future__ import annotations

import httpx
import pytest
import yaml

from tests.catalogue.test_catalogue import child, parent

from .conftest import assert_chinese, sign_in
from .phone import PHONES, as_phone, layout_problems
from .test_downloads_docs_whatif import _allow_downloads, _download

A, TOWN, B = "catuia", "catuig", "catuib"
SHARED, GROUP = "catui_parent", "catui_town"  # catalogue ids are the server's: fresh ones, not the demo's
CHILD, KEEP, ADOPT = "catui_child", "catui_keep", "catui_adopt"
YAML = {"content-type": "application/yaml"}
DESKTOP = {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
BODIES = [{"id": "two_committees", "title": "两委会"}, {"id": "party", "title": "党员大会"},
          {"id": "residents", "title": "居民代表会议", "required": False}]
# CHILD, line by line: line 8 raises the activity award, line 9 switches off the litter rule (gone from v2)
CHILD_TEXT = child(CHILD, f"{SHARED}@1")
KEEP_TEXT = (child(KEEP, f"{SHARED}@1").replace("  - {rule: litter_pick, enabled: false}\n", "")
             .replace("award: {points: 3}", "title: 参加活动").replace("title: 乙社区标准", "title: 乙社区活动标准")
             .replace("effective_from: 2021-01-01", "effective_from: 2022-01-01"))
ADOPT_TEXT = (child(ADOPT, f"{SHARED}@1").replace("title: 乙社区标准", "title: 乙社区调整方案")
              .replace("effective_from: 2021-01-01", "effective_from: 2023-01-01"))


def _ok(response: httpx.Response) -> dict:
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture(scope="module")
def world(demo):
    admin = {"Authorization": f"Bearer {demo.token('committee', 'staff')}"}
    url = lambda community: f"{demo.base}/communities/{community}"  # noqa: E731
    with httpx.Client(headers=admin, timeout=60) as client:
        def publish(community: str, text: str) -> None:
            draft = _ok(client.post(f"{url(community)}/rulesets", content=text.encode(), headers=YAML))
            _ok(client.post(f"{url(community)}/rulesets/{draft['id']}/versions/{draft['version']}/publish"))

        for community, name in ((A, "甲社区"), (TOWN, "丙社区"), (B, "乙社区")):
            _ok(client.put(url(community), json={"name": name}))
        _ok(client.post(f"{url(B)}/residents", json=[{"id": "r1", "name": "居民甲", "zone": "north"}]))
        publish(A, parent(SHARED, dates="effective_from: 2021-01-01\neffective_to: 2024-12-31"))
        _ok(client.post(f"{url(A)}/rulesets/{SHARED}/versions/1/share", json={}))
        publish(TOWN, parent(GROUP).replace("title: 共享测试标准", "title: 某某镇统一标准"))  # shared in the browser
        for text in (CHILD_TEXT, KEEP_TEXT):
            publish(B, text)
        _ok(client.post(f"{url(B)}/facts", json={"id": "b-act", "type": "activity", "resident": "r1",
                                                  "occurred_at": "2024-03-05T19:00:00+08:00",
                                                  "fields": {"name": "重阳节"}}))
        _ok(client.post(f"{url(B)}/rulesets", content=ADOPT_TEXT.encode(), headers=YAML))  # a draft for the bodies
        _ok(client.put(url(B), json={"name": "乙社区", "bodies": BODIES}))  # after B's published versions
    return {"url": url, "admin": admin}


def _phone(page, artifacts, name: str) -> None:
    as_phone(page, *PHONES["390"])
    page.browser.pump(0.3)
    assert layout_problems(page) == [], f"{name} at 390px"
    page.screenshot(artifacts / f"{name}-phone-390.png")
    page.call("Emulation.setDeviceMetricsOverride", DESKTOP)


def _english(page, selector: str, words: str, artifacts, name: str) -> str:
    """Switch to English, wait for ``words``, screenshot; switch back (the language is kept in the browser)."""
    page.click("#lang")
    page.wait_text(words, selector=selector)
    text = page.text(selector)
    page.screenshot(artifacts / f"{name}-en.png")
    page.click("#lang")
    page.wait("document.querySelector('#lang').innerText === 'English'")
    return text


def _standard(page, ref: str) -> str:
    selector = f"#catalogue .standard[data-ref='{ref}']"
    page.wait(f"document.querySelector({selector!r})", message=f"{ref} is not in the catalogue")
    return selector


def test_share_browse_download_import_and_derive(page, demo, world, artifacts, tmp_path):
    files = tmp_path / "downloads"
    files.mkdir()
    _allow_downloads(page, files)
    page.block_outside_localhost()

    # 丙社区's committee shares its published standard with a group, from the rulesets list
    sign_in(page, demo, demo.token("committee", community=TOWN))
    share = f"button.share-open[data-ref='{GROUP}@1']"
    page.goto(f"{demo.base}/console/#/rulesets", wait_for=f"document.querySelector({share!r})")
    page.click(share)
    form = f"tr.share-row .share-form:has(input[name='share-{GROUP}@1'])"
    page.wait(f"!document.querySelector({form!r}).hidden")
    page.click(f"{form} .share-group")
    page.fill(f"{form} .share-communities", B)
    page.fill(f"{form} .share-group-title", "某某镇")
    assert_chinese(page.text("#rulesets"), "the share form")
    page.screenshot(artifacts / "catalogue-share.png", full_page=False)
    page.click(f"{form} .share-go")
    page.wait_text(f"已将「某某镇统一标准」（{GROUP}@1）共享到标准库，共享范围：某某镇。", selector=form)
    seen = {e["ref"] for e in httpx.get(f"{world['url'](A)}/catalogue", headers=world["admin"]).json()}
    assert f"{SHARED}@1" in seen and f"{GROUP}@1" not in seen  # the group's, not every community's

    # 乙社区's committee: the catalogue page lists what it may use, by title, with what each covers
    page.click("#signout")
    sign_in(page, demo, demo.token("committee", community=B))
    page.goto(f"{demo.base}/console/#/catalogue", wait_for="document.querySelector('#catalogue .standard')")
    shared, town = _standard(page, f"{SHARED}@1"), _standard(page, f"{GROUP}@1")
    card = page.text(shared)
    for words in ("共享测试标准", "来源社区", "甲社区", "v1 · 2021-01-01 起生效", "覆盖的分类", "社区活动、环境卫生",
                  "事实类型", "参加活动、清理", "2 条", "内置测试", "1/1 通过", "共享范围", "全部社区",
                  "查看", "下载文件包", "由此新建本社区标准"):
        assert words in card, (words, card)
    assert "某某镇统一标准" in page.text(town) and page.text(f"{town} .audience") == "某某镇", page.text(town)
    assert "丙社区" in page.text(town)
    demo_standard = page.text(_standard(page, "yihe_2021@1"))  # the demo's repository standards are shared too
    assert "亿和社区、江家寨合作社社区诚信指数分评定标准（示例）" in demo_standard and "全部社区" in demo_standard
    assert page.text("#nav-catalogue") == "标准库"
    assert_chinese(page.text(), "the catalogue page")
    page.screenshot(artifacts / "catalogue.png")
    _phone(page, artifacts, "catalogue")
    english = _english(page, "#catalogue-page", "Catalogue: shared standards", artifacts, "catalogue")
    for words in ("Shared by", "every community", "1/1 passed", "Download bundle", "Start our own standard from it"):
        assert words in english, (words, english)
    assert "某某镇" in english

    # 查看: its YAML
    page.click(f"{shared} .view-yaml")
    page.wait(f"document.querySelector({shared + ' .entry-yaml pre'!r})")
    assert f"id: {SHARED}" in page.text(f"{shared} .entry-yaml") and page.text(f"{shared} .view-yaml") == "收起"

    # 下载文件包: a real YAML bundle, fetched with the token
    name, data = _download(page, f"{shared} .download-bundle", files)
    assert name == f"{SHARED}@1.bundle.yaml"
    bundle = yaml.safe_load(data.decode("utf-8"))
    assert bundle["xinzhi_bundle"] == 1 and bundle["title"] == "共享测试标准"
    assert bundle["standard"]["ref"] == f"{SHARED}@1" and f"id: {SHARED}" in bundle["standard"]["yaml"]
    assert bundle["digest"].startswith("sha256:") and bundle["provenance"]["source_community"] == A
    page.wait_text(f"已下载 {name}", selector=shared)

    # importing a bundle: one changed on the way is refused in Chinese, the genuine one is taken
    tampered = tmp_path / "tampered.bundle.yaml"
    tampered.write_bytes(data.replace(b"award: {points: 2}", b"award: {points: 20}"))
    assert tampered.read_bytes() != data
    _choose(page, tampered)
    page.click("#bundle-go")
    page.wait("document.querySelector('#bundle-out .refusal')", message="a changed bundle was not refused")
    refused = page.text("#bundle-out")
    assert "标准文件包的校验值与内容不符：导出后被改动过" in refused, refused  # why, in Chinese
    assert_chinese(refused, "the bundle refusal")
    genuine = tmp_path / f"{SHARED}@1.bundle.yaml"
    genuine.write_bytes(data)
    _choose(page, genuine)
    page.click("#bundle-go")
    page.wait_text(f"已导入「共享测试标准」（{SHARED}@1）。", selector="#catalogue-page")

    # 由此新建本社区标准 → the new draft opens in the editor
    shared = _standard(page, f"{SHARED}@1")
    page.click(f"{shared} .derive-open")
    page.fill(f"{shared} .derive-id", "catui_derived")
    page.fill(f"{shared} .derive-title", "乙社区自拟标准")
    page.fill(f"{shared} .derive-from", "2027-01-01")
    assert "新标准沿用「共享测试标准」" in page.text(f"{shared} .derive-form")
    page.click(f"{shared} .derive-go")
    page.wait("location.hash === '#/editor/catui_derived/1' && document.querySelector('#yaml')",
              message="the derived draft did not open in the editor")
    page.wait_text("catui_derived@1 (草稿)", selector="#editor-title")
    text = page.eval("document.querySelector('#yaml').value")
    assert f"extends: {SHARED}@1" in text and "title: 乙社区自拟标准" in text, text
    draft = httpx.get(f"{world['url'](B)}/rulesets/catui_derived/versions/1", headers=world["admin"]).json()
    assert (draft["status"], draft["extends"], draft["effective_from"]) == ("draft", f"{SHARED}@1", "2027-01-01")

    # the staff read it: no deriving, no importing, but the bundle can be downloaded
    page.click("#signout")
    sign_in(page, demo, demo.token("staff", community=B))
    page.goto(f"{demo.base}/console/#/catalogue", wait_for="document.querySelector('#catalogue .standard')")
    assert page.eval("document.querySelectorAll('.derive-open, .derive-form, #bundle-import').length") == 0
    assert page.eval("document.querySelectorAll('.download-bundle').length") >= 3
    assert "只读" in page.text("#catalogue-page")
    assert_chinese(page.text(), "the staff's catalogue page")
    assert page.blocked == []


def _choose(page, path) -> None:
    found = page.call("Runtime.evaluate", {"expression": "document.querySelector('#bundle-file')"})
    page.call("DOM.setFileInputFiles", {"files": [str(path)], "objectId": found["result"]["objectId"]})
    page.wait_text(path.name, selector="#bundle-name")


def test_upstream_update_preview_what_if_and_adopt(page, demo, world, artifacts):
    # 甲社区 moves on: activities earn 5, the litter rule is gone; the new version is shared
    with httpx.Client(headers=world["admin"], timeout=60) as client:
        a = world["url"](A)
        v2 = _ok(client.post(f"{a}/rulesets", content=parent(SHARED, 2, points=5, with_rule=False,
                                                                  dates="effective_from: 2025-01-01").encode(),
                             headers=YAML))
        _ok(client.post(f"{a}/rulesets/{SHARED}/versions/{v2['version']}/publish"))
        _ok(client.post(f"{a}/rulesets/{SHARED}/versions/2/share", json={}))
    page.block_outside_localhost()
    sign_in(page, demo, demo.token("committee", community=B))

    # from the rulesets list to the upstream view of the standard that overrides both changed rules
    page.goto(f"{demo.base}/console/#/rulesets",
              wait_for=f"document.querySelector(\"a.open-upstream[href='#/upstream/{CHILD}/1']\")")
    page.click(f"a.open-upstream[href='#/upstream/{CHILD}/1']")
    page.wait("document.querySelector('#overrides')", message="the upstream view did not open")
    head = page.text("#upstream-page .card")
    assert "上游更新 · 乙社区标准" in head and f"现在沿用：共享测试标准 {SHARED}@1" in head, head
    assert f"预览更新到：共享测试标准 {SHARED}@2" in page.text("#upstream-target")
    newer = page.eval("[...document.querySelectorAll('#upstream-to option')].map(o => o.innerText)")
    assert newer == ["共享测试标准 · v2"], newer
    # what the parent changed, by rule title, old → new
    join = page.text("#parent-changes li[data-rule='activity_join']")
    assert join.startswith("参加社区活动") and "修改" in join and "分值：原 2 分 → 新 5 分" in join, join
    litter = page.text("#parent-changes li[data-rule='litter_pick']")
    assert litter.startswith("捡拾垃圾") and "删除" in litter, litter
    # each override in words
    changed = page.text("#overrides li[data-rule='activity_join']")
    assert "上游也改了此项：" in changed and "分值：原 2 分 → 新 5 分" in changed, changed
    removed = page.text("#overrides li[data-rule='litter_pick']")
    assert removed.startswith("捡拾垃圾") and "上游已删除此规则（第 9 行）" in removed, removed
    status = page.eval("document.querySelector(\"#overrides li[data-rule='litter_pick']\").dataset.status")
    assert status == "rule_removed"
    # the moved text's problem, at its line, in Chinese
    problem = page.text("#upstream-problems li[data-line='9']")
    assert "第 9 行" in problem and "litter_pick" in problem, problem
    assert_chinese(page.text(), "the upstream view")
    page.screenshot(artifacts / "upstream.png")
    _phone(page, artifacts, "upstream")
    english = _english(page, "#upstream-page", "Upstream update", artifacts, "upstream")
    for words in ("Extends now: 共享测试标准", "award: before 2 points → after 5 points",
                  "the shared standard removed this rule (line 9)", "the shared standard changed this too"):
        assert words in english, (words, english)

    # 采纳: the moved text does not load, so the editor opens it unsaved with its problem at line 9
    page.wait("document.querySelector('#adopt')")
    page.click("#adopt")
    page.wait(f"location.hash === '#/editor/{CHILD}/1' && document.querySelector('#yaml') "
              f"&& document.querySelector('#yaml').value.includes('extends: {SHARED}@2')",
              message="the moved text did not open in the editor")
    text = page.eval("document.querySelector('#yaml').value")
    assert "version: 2" in text and "  - {rule: litter_pick, enabled: false}" in text, text
    assert f"{CHILD}@2 (未保存)" in page.text("#editor-title")
    assert "还不能保存" in page.text("#editor-status")
    assert page.eval("document.querySelector('#yaml').readOnly") is False
    assert "litter_pick" in page.text("#problems li[data-line='9']")
    assert page.eval("document.querySelector(\"#gutter div[data-line='9']\").className") == "err"
    assert_chinese(page.text("#editor-page .card"), "the editor with the moved text")
    page.screenshot(artifacts / "upstream-adopt-fix.png", full_page=False)
    assert httpx.get(f"{world['url'](B)}/rulesets/{CHILD}/versions/2", headers=world["admin"]).status_code == 404

    # the member fixes it (drops the dangling override, starts it later) and it is saved as the next draft
    fixed = (text.replace("  - {rule: litter_pick, enabled: false}\n", "")
             .replace("effective_from: 2021-01-01", "effective_from: 2025-01-01"))
    page.fill("#yaml", fixed)
    page.wait_text(f"校验通过，草稿已保存：{CHILD}@2", selector="#editor-status", timeout=30)
    assert page.eval("location.hash") == f"#/editor/{CHILD}/2"
    saved = httpx.get(f"{world['url'](B)}/rulesets/{CHILD}/versions/2", headers=world["admin"]).json()
    assert (saved["status"], saved["extends"]) == ("draft", f"{SHARED}@2")
    page.call("Page.reload")  # saved: the unsaved text is not offered again
    page.wait_text(f"{CHILD}@2 (草稿)", selector="#editor-title")
    assert "还不能保存" not in page.text("#editor-status")

    # a standard whose overrides still apply: a what-if of the move on B's recorded facts, then adopt
    page.goto(f"{demo.base}/console/#/upstream/{KEEP}/1", wait_for="document.querySelector('#adopt')")
    assert page.text("#overrides li[data-rule='activity_join'] .status") == "仍然适用"
    assert page.text("#upstream-problems") == "更新后的文本没有问题。"
    assert "分值：原 2 分 → 新 5 分" in page.text("#child-changes li[data-rule='activity_join']")
    page.fill("#upstream-whatif-period", "2024")
    page.click("#upstream-whatif")
    page.wait("location.hash === '#/whatif'")
    page.wait_text("已完成", selector="#whatif-progress", timeout=120)
    page.wait("document.querySelector('#whatif-totals')", message="the what-if report did not come")
    report = page.text("#whatif-report")
    assert f"报告: {KEEP}@1 → {KEEP}@1→{SHARED}@2" in report, report  # the job's candidate: on the newer parent
    assert "发放积分\t2\t5\t+3" in report, report  # B's one recorded activity: 2 → 5 under the new parent
    page.goto(f"{demo.base}/console/#/upstream/{KEEP}/1", wait_for="document.querySelector('#adopt')")
    page.click("#adopt")
    page.wait(f"location.hash === '#/editor/{KEEP}/2' && document.querySelector('#editor-title') "
              f"&& document.querySelector('#editor-title').innerText.includes('{KEEP}@2')",
              message="the adopted draft did not open in the editor")
    assert f"extends: {SHARED}@2" in page.eval("document.querySelector('#yaml').value")
    assert page.blocked == []


def test_adoption_panel_then_publishing_waits_for_every_required_body(page, demo, world, artifacts):
    page.block_outside_localhost()
    sign_in(page, demo, demo.token("committee", community=B))
    page.goto(f"{demo.base}/console/#/rulesets",
              wait_for=f"document.querySelector(\"a.open-adoption[href='#/adoption/{ADOPT}/1']\")")
    page.click(f"a.open-adoption[href='#/adoption/{ADOPT}/1']")
    page.wait("document.querySelector('#adoption-bodies')", message="the adoption panel did not open")
    assert "审议 · 乙社区调整方案" in page.text("#adoption-page h2")
    assert page.text("#adoption-summary") == "发布前还需通过：两委会、党员大会"
    for body, words in (("two_committees", "两委会"), ("party", "党员大会"), ("residents", "居民代表会议")):
        block = page.text(f".body-status[data-body='{body}']")
        assert words in block and "对当前文本：尚未审议" in block and "还没有审议记录。" in block, block
    assert "可不经审议" in page.text(".body-status[data-body='residents']")
    assert "必须通过" in page.text(".body-status[data-body='party']")
    assert page.eval("[...document.querySelectorAll('#decision-body option')].map(o => o.innerText)") == [
        "两委会", "党员大会", "居民代表会议"]
    items = page.eval("[...document.querySelectorAll('#decision-comments .comment-item option')].map(o => o.innerText)")
    assert items[:1] == ["总体"] and "参加社区活动" in items and "捡拾垃圾" in items, items

    def record(body: str, decision: str, recorder: str, comments: list[tuple[str, str]]) -> None:
        page.eval(f"document.querySelector('#decision-body').value = '{body}'")
        page.eval(f"document.querySelector('#decision-kind').value = '{decision}'")
        page.fill("#decision-date", "2026-11-20")
        page.fill("#decision-recorder", recorder)
        for i, (item, text) in enumerate(comments):
            if i:
                page.click("#decision-more")
            rows = "#decision-comments .comment-row"
            page.eval(f"document.querySelectorAll('{rows} .comment-item')[{i}].value = '{item}'")
            page.eval(f"document.querySelectorAll('{rows} .comment-text')[{i}].value = '{text}'")
        page.click("#decision-save")

    record("two_committees", "approve", "会议记录人 王芳", [("activity_join", "同意调高活动分值"), ("总体", "同意")])
    page.wait_text("已记录两委会的审议结果：通过。", selector="#adoption-page")
    block = page.text(".body-status[data-body='two_committees']")
    for words in ("对当前文本：通过", "2026-11-20 · 通过 · 记录人：会议记录人 王芳",
                  "参加社区活动 activity_join：同意调高活动分值", "总体：同意"):
        assert words in block, (words, block)
    assert page.text("#adoption-summary") == "发布前还需通过：党员大会"
    record("residents", "comment", "居民代表 李强", [("litter_pick", "建议保留捡拾垃圾加分")])
    page.wait_text("已记录居民代表会议的审议结果：仅提意见。", selector="#adoption-page")
    assert "捡拾垃圾 litter_pick：建议保留捡拾垃圾加分" in page.text(".body-status[data-body='residents']")
    assert page.text("#adoption-summary") == "发布前还需通过：党员大会"  # an optional body's word does not hold it up
    assert_chinese(page.text(), "the adoption panel")
    page.screenshot(artifacts / "adoption.png")
    _phone(page, artifacts, "adoption")
    english = _english(page, "#adoption-page", "Adoption · 乙社区调整方案", artifacts, "adoption")
    for words in ("Still to approve before publishing: 党员大会", "On the current text: approved", "must approve",
                  "2026-11-20 · approved · recorded by 会议记录人 王芳", "Record a decision"):
        assert words in english, (words, english)

    # publishing is refused, naming the body still missing; the refusal leads back to the panel
    page.click("#adoption-editor")
    page.wait("document.querySelector('#publish')")
    page.click("#publish")
    page.wait("document.querySelector('#publish-refused')", timeout=30, message="publishing was not refused")
    refused = page.text("#publish-refused")
    assert f"发布被拒绝：{ADOPT}@1 还需经 党员大会 通过后才能发布" in refused, refused
    assert_chinese(refused, "the publish refusal")
    page.screenshot(artifacts / "adoption-publish-refused.png", full_page=False)
    page.click("#publish-adoption")
    page.wait("document.querySelector('#decision-form')")
    record("party", "approve", "会议记录人 王芳", [("总体", "同意发布")])
    page.wait_text("已记录党员大会的审议结果：通过。", selector="#adoption-page")
    assert page.text("#adoption-summary") == "所有必须审议的机构都已通过当前文本，可以发布。"

    # now it publishes, and its record is shown read-only
    page.click("#adoption-editor")
    page.wait("document.querySelector('#publish')")
    page.click("#publish")
    page.wait("document.querySelector('#published')", timeout=30, message="publishing did not succeed")
    assert f"已发布 {ADOPT}@1" in page.text("#published")
    page.click("#open-adoption")
    page.wait("document.querySelector('#adoption-closed')", message="the published record is not shown read-only")
    assert page.eval("document.querySelectorAll('#decision-form, #decision-save').length") == 0
    assert page.text("#adoption-closed") == "此版本已发布，审议记录只能查看，不能更改。"
    assert page.text("#adoption-summary") == "发布时所有必须审议的机构都已通过。"
    assert "会议记录人 王芳" in page.text(".body-status[data-body='party']")
    assert "已发布" in page.text("#adoption-page h2")
    assert_chinese(page.text(), "the published adoption record")
    page.screenshot(artifacts / "adoption-published.png")
    _phone(page, artifacts, "adoption-published")
    record_now = httpx.get(f"{world['url'](B)}/rulesets/{ADOPT}/versions/1/adoption", headers=world["admin"]).json()
    assert record_now["status"] == "published" and record_now["complete"]

    # the next draft goes to the bodies with what it changes: the draft against the version published
    second = (ADOPT_TEXT.replace("version: 1", "version: 2", 1).replace("award: {points: 3}", "award: {points: 4}")
              .replace("effective_from: 2023-01-01", "effective_from: 2024-01-01"))
    _ok(httpx.post(f"{world['url'](B)}/rulesets", content=second.encode(), headers={**world["admin"], **YAML}))
    page.goto(f"{demo.base}/console/#/adoption/{ADOPT}/2", wait_for="document.querySelector('#adoption-diff')")
    shown = page.text("#adoption-diff")
    assert f"{ADOPT}@1 → {ADOPT}@2" in shown and "{points: 3}" in shown and "{points: 4}" in shown, shown
    assert page.eval("document.querySelector('#adoption-whatif').getAttribute('href')") == "#/whatif"
    assert page.blocked == []
