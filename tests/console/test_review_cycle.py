"""Review → 公示 → objection in the browser: the committee approves, the board and the residents'
phones show the notice, a resident objects with a reason, the committee upholds it.

A community of its own inside the demo server (the cycle standard, whose heritage rule is under
review), so the demo's Yihe standard stays as the other console tests expect. Every page is
opened with the network to the outside cut, at phone widths, in Chinese and in English.
"""

from __future__ import annotations

import httpx
import pytest

from .conftest import assert_chinese, cycle_community, sign_in
from .phone import PHONES, as_phone, layout_problems

COMMUNITY = "cycleui"
HELD_RULE = "非遗传承（需议事会审核）"


@pytest.fixture(scope="module")
def cycle(demo):
    made = cycle_community(demo, COMMUNITY, "循环社区", [
        *({"id": f"act-{i}", "type": "activity", "resident": "s1", "occurred_at": f"2024-05-0{i + 1}T19:00:00+08:00",
           "fields": {"name": "重阳节敬老活动"}} for i in range(4)),
        {"id": "her-1", "type": "heritage", "resident": "s1", "occurred_at": "2024-06-01T10:00:00+08:00",
         "fields": {"hours": 3}}])
    return {**made, "posted": made["posted"][-1]}


def _score(cycle, resident: str) -> dict:
    return httpx.get(f"{cycle['url']}/residents/{resident}/score", headers=cycle["admin"]).json()


def _readable_on_phones(page, artifacts, name: str) -> None:
    for label, (width, height) in PHONES.items():
        as_phone(page, width, height)
        page.browser.pump(0.3)
        assert layout_problems(page) == [], f"{name} at {width}px"
        page.screenshot(artifacts / f"{name}-phone-{label}.png")


def test_the_review_cycle_in_the_browser(browser, demo, cycle, artifacts):
    held = cycle["posted"]["under_review"]
    assert [(h["rule_title"], h["amount"], h["status"]) for h in held] == [(HELD_RULE, 12, "pending")]
    notice = held[0]["notice"]
    assert (_score(cycle, "s1")["index"], _score(cycle, "s1")["points"]) == (120, 20)  # the held 12 not counted

    # the resident whose award waits sees it once, with one sign and the right words, on a phone
    page = browser.new_page()
    page.block_outside_localhost()
    as_phone(page, *PHONES["390"])
    sign_in(page, demo, demo.token("resident", community=COMMUNITY, resident="s1"))
    page.wait("document.querySelector('#ledger')")
    ledger = page.text("#ledger")
    assert ledger.count(HELD_RULE) == 1 and f"待审核，暂不计入：{HELD_RULE} +12" in ledger, ledger
    assert "申诉调整" not in ledger and "−12" not in ledger and "-12" not in ledger, ledger
    assert_chinese(page.text())
    _readable_on_phones(page, artifacts, "cycle-held")
    page.close()

    # the committee's queue: approve
    page = browser.new_page()
    page.block_outside_localhost()
    sign_in(page, demo, demo.token("committee", community=COMMUNITY))
    approve = f"button.approve[data-notice='{notice}']"
    page.goto(f"{demo.base}/console/#/reviews", wait_for=f"document.querySelector({approve!r})")
    assert HELD_RULE in page.text("#reviews")
    page.screenshot(artifacts / "cycle-queue.png")
    page.click(approve)
    page.wait(f"!document.querySelector({approve!r})", message="the approval did not land")
    assert _score(cycle, "s1")["index"] == 132
    committee = page

    # the lobby board, on a phone and on the big screen, Chinese and English
    page = browser.new_page()
    page.block_outside_localhost()
    as_phone(page, *PHONES["360"])
    page.goto(f"{demo.base}/console/board?community={COMMUNITY}",
              wait_for=f"document.querySelector('#publicity li[data-notice=\"{notice}\"]')")
    line = page.text(f"#publicity li[data-notice='{notice}']")
    assert f"#{notice}" in line and "王*英 · 南区" in line and f"{HELD_RULE} +12" in line and "异议截止" in line, line
    assert "王秀英" not in page.text() and "s1" not in page.text()
    assert_chinese(page.text())
    _readable_on_phones(page, artifacts, "cycle-board")
    page.call("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 900, "deviceScaleFactor": 1,
                                                     "mobile": False})
    page.goto(f"{demo.base}/console/board?community={COMMUNITY}&lang=en",
              wait_for=f"document.querySelector('#publicity li[data-notice=\"{notice}\"]')")
    assert "Awards in publicity" in page.text("#publicity") and "Objections until" in page.text("#publicity")
    page.screenshot(artifacts / "cycle-board-en.png", full_page=False)
    assert page.blocked == []
    page.close()

    # a neighbour objects from their phone: a reason too short is refused in Chinese, then it is filed
    page = browser.new_page()
    page.block_outside_localhost()
    as_phone(page, *PHONES["414"])
    sign_in(page, demo, demo.token("resident", community=COMMUNITY, resident="n1"))
    form = f"#publicity .notice[data-notice='{notice}']"
    page.wait(f"document.querySelector({form!r} + ' button.object')")
    page.click(f"{form} button.object")
    page.fill(f"{form} .object-reason", "无")
    page.click(f"{form} .object-send")
    page.wait(f"document.querySelector({form!r} + ' .msg.bad')", message="a one-character reason was not refused")
    refused = page.text(f"{form} .msg.bad")
    assert_chinese(refused)
    assert "理由" in refused or "reason" in refused, refused
    page.fill(f"{form} .object-reason", "当天未见其授课")
    page.click(f"{form} .object-send")
    page.wait_text(f"已提交对公示第 {notice} 号的异议", selector=form)
    _readable_on_phones(page, artifacts, "cycle-objected")
    page.click("#lang")
    page.wait_text("Awards in publicity", selector="#publicity")
    assert "Object" in page.text(f"{form}")
    page.click("#lang")
    assert page.blocked == []
    page.close()

    # the committee upholds it: the award is reversed and leaves the board
    page = committee
    page.call("Page.reload")  # the same address: load the queue afresh
    page.wait("document.querySelector('button.upheld')", message="the objection is not in the committee's queue")
    assert "当天未见其授课" in page.text("#objections")
    page.fill("#objections input", "核实无授课记录")
    page.click("button.upheld")
    page.wait_text("成立", selector="#objections")
    page.screenshot(artifacts / "cycle-upheld.png")
    assert _score(cycle, "s1")["index"] == 120
    assert httpx.get(f"{cycle['url']}/board").json()["publicity"] == []
    assert page.blocked == []
    page.close()
