"""The editor a committee can use: Chromium (CDP) against ``xinzhi serve --demo``, the network cut off.

A form edit keeps the rule's note in step (or says it could not), failing tests offer their
new expectations as old line → new line to accept, each failure is listed once, the diff
shows every change with its values, and long lines wrap with their numbers beside them: in
Chinese and English, on a desktop and on a phone. Screenshots go to ``test-artifacts/console/``.

The scenarios edit community ``dongshan``'s standard (its own rules are written in block
style, which the form rewrites), never publishing, so the other console tests' ``yihe``
versions are left as they expect them.
"""

from __future__ import annotations

import json
import re

import pytest

from .conftest import sign_in

RULE = "elderly_visit"  # 探访独居老人: 3 points a visit, at most 6 a week
NOTE = "    note: 示例分值：探访满 30 分钟得 {points} 分，每周最多 6 分"
TEST = "新增规则：探访独居老人满 30 分钟得 3 分，每周最多 6 分"

WORDS = {
    "zh": {"restated": "规则 elderly_visit 的说明已随之改写：3 → 4",
           "stale": "说明中仍写着旧分值 3（规则 elderly_visit），请在 YAML 中核对。",
           "changed": "探访独居老人（事实 d4-1）：预期 +3，实际 +4",
           "limited": "探访独居老人（事实 d4-3）：预期 +3，实际 +2（被上限 rule:elderly_visit/week 截减）",
           "balance": "e10 的诚信指数分：预期 132，实际 141",
           "tests": "测试：{passed}/{total} 通过", "refused": "发布被拒绝", "offer": "更新测试预期",
           "applied": "已改写 3 处测试预期", "line": "第 {line} 行 · " + TEST, "other": "其他变化",
           "award": "award: 原 {points: 3} → 新 {points: 4}",
           "note": "note: 原 示例分值：探访满 30 分钟得 3 分，每周最多 6 分 → "
                   "新 示例分值：探访满 30 分钟得 4 分，每周最多 6 分",
           "effective_from": "effective_from: 原 2022-01-01 → 新 {today}"},
    "en": {"restated": "Rewrote the note of rule elderly_visit to match: 3 → 4",
           "stale": "The note of rule elderly_visit still states the old value 3: check it in the YAML.",
           "changed": "探访独居老人 (fact d4-1): expected +3, got +4",
           "limited": "探访独居老人 (fact d4-3): expected +3, got +2 (cut by the limit rule:elderly_visit/week)",
           "balance": "e10's Integrity index: expected 132, got 141",
           "tests": "Tests: {passed}/{total} passed", "refused": "Publishing refused",
           "offer": "Update test expectations",
           "applied": "Rewrote 3 test expectation(s)", "line": "line {line} · " + TEST, "other": "Other changes",
           "award": "award: before {points: 3} → after {points: 4}",
           "note": "note: before 示例分值：探访满 30 分钟得 3 分，每周最多 6 分 → "
                   "after 示例分值：探访满 30 分钟得 4 分，每周最多 6 分",
           "effective_from": "effective_from: before 2022-01-01 → after {today}"},
}
SIZES = {"desktop": None, "phone": (390, 844)}

# Where each line's number stands against where the line itself starts: the textarea's lines are
# found by laying out its first k lines in a textarea with #yaml's computed style and width (the
# browser's own wrapping), independently of the editor's mirror.
ALIGNMENT = """(() => {
  const area = document.querySelector('#yaml'), style = getComputedStyle(area);
  const probe = document.createElement('textarea');
  for (const name of style) probe.style.setProperty(name, style.getPropertyValue(name));
  Object.assign(probe.style, {position: 'absolute', visibility: 'hidden', height: '0px', overflow: 'hidden',
                              width: `${area.clientWidth}px`});
  document.body.append(probe);
  const pad = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  const origin = area.getBoundingClientRect().top + parseFloat(style.paddingTop) - area.scrollTop;
  const lines = area.value.split('\\n'), rows = [...document.querySelectorAll('#gutter div')];
  const wrong = [];
  for (let k = 0; k < lines.length; k++) {
    probe.value = lines.slice(0, k).join('\\n');
    const top = origin + (k ? probe.scrollHeight - pad : 0);
    const row = rows[k].getBoundingClientRect().top;
    if (Math.abs(row - top) > 0.5) wrong.push([k + 1, row, top]);
  }
  probe.remove();
  return {wrong: wrong.slice(0, 5), lines: lines.length, rows: rows.length,
          wrapped: rows.filter((r) => r.getBoundingClientRect().height > 20).length,
          sideways: area.scrollWidth - area.clientWidth};
})()"""

STICKING_OUT = """[...document.querySelectorAll('#editor-page *')].filter((el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && (r.right > document.documentElement.clientWidth + 1 || r.left < -1);
}).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className} «${(el.innerText || '').slice(0, 30)}»`)"""


@pytest.fixture
def screen(request, page):
    """The tab at the test's screen size; the console's language set back to Chinese afterwards (it is per browser)."""
    size = SIZES[request.param]
    if size:
        page.call("Emulation.setDeviceMetricsOverride", {"width": size[0], "height": size[1], "deviceScaleFactor": 1,
                                                         "mobile": True})
    yield request.param
    page.eval("localStorage.removeItem('xinzhi.lang')")


def _yaml(page) -> str:
    return page.eval("document.querySelector('#yaml').value")


def _open_new_draft(page, demo, lang: str) -> str:
    """Dongshan's committee opens its standard in force and starts a new draft: the draft's ref."""
    page.block_outside_localhost()
    sign_in(page, demo, demo.token("committee", community="dongshan"))
    if lang == "en":
        page.click("#lang")
        page.wait_text("Standard", selector="#nav")
    page.goto(f"{demo.base}/console/#/editor/dongshan_2022/1",
              wait_for="document.querySelector('#yaml') && document.querySelector('#yaml').value.includes('id: dong')")
    page.click("#new-draft")
    _wait_saved(page, "dongshan_2022@")
    return re.search(r"dongshan_2022@\d+", page.text("#editor-status")).group(0)


def _wait_saved(page, ref: str) -> None:
    """The draft validated and saved (the status line turns green and names it)."""
    page.wait(f"document.querySelector('#editor-status').className === 'ok' && "
              f"document.querySelector('#editor-status').innerText.includes({json.dumps(ref)})", timeout=20,
              message="the draft was not saved")


def _use_form(page, rule: str, points: str) -> None:
    page.eval(f"(() => {{ const s = document.querySelector('#form-rule'); s.value = {json.dumps(rule)};"
              f" s.dispatchEvent(new Event('change')); }})()")
    page.fill("#form-points", points)
    page.click("#form-apply")


def _lines_line_up(page) -> None:
    """Long lines wrap (none runs off to the side) and every line number stands beside its line."""
    layout = page.eval(ALIGNMENT)
    assert layout["rows"] == layout["lines"], layout
    assert layout["wrapped"] >= 3, layout  # the check means something: some lines do wrap
    assert layout["sideways"] <= 0, layout
    assert layout["wrong"] == [], layout


def _once(page, text: str) -> None:
    assert page.text().count(text) == 1, f"{text!r} is shown {page.text().count(text)} times"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("screen", ["desktop", "phone"], indirect=True)
def test_a_form_edit_keeps_note_tests_and_diff_consistent(page, demo, artifacts, screen, lang):
    words = WORDS[lang]
    shot = f"{lang}-{screen}"
    ref = _open_new_draft(page, demo, lang)
    _lines_line_up(page)
    if screen == "phone":
        assert page.eval(STICKING_OUT) == []

    # the form changes the award; the note that stated "3 分" now says "4 分", and says so
    _use_form(page, RULE, "4")
    page.wait("document.querySelector('#yaml').value.includes('award: {points: 4}')")
    text = _yaml(page)
    assert NOTE.format(points=4) in text.split("\n") and NOTE.format(points=3) not in text.split("\n")
    page.wait_text(words["restated"], selector="#form-msg")
    _wait_saved(page, ref)

    # the tests that counted on 3 points fail, each difference said once, in the page's language
    page.click("#run-tests")
    page.wait("document.querySelector('#tests-summary') && document.querySelector('#update-expectations')", timeout=30)
    summary = page.text("#tests-summary")
    total = int(re.search(r"/(\d+)", summary).group(1))
    assert words["tests"].format(passed=total, total=total) not in summary
    for said in (words["changed"], words["limited"], words["balance"]):
        _once(page, said)
    assert "was not given" not in page.text("#tests")  # not the engine's English sentences

    # publishing is refused; the failures are still listed once, not under the refusal too
    page.click("#publish")
    page.wait("document.querySelector('#publish-refused') && document.querySelector('#update-expectations')",
              timeout=40)
    page.wait_text(words["refused"], selector="#publish-refused")
    for said in (words["changed"], words["limited"], words["balance"]):
        _once(page, said)
    page.screenshot(artifacts / f"editor-refused-{shot}.png")

    # the new expectations, old line → new line; nothing is written before the member accepts
    page.click("#update-expectations")
    page.wait("!document.querySelector('#expectations-review').hidden")
    review = page.text("#expectations-review")
    lines = text.split("\n")
    first = lines.index("        - {fact: d4-1, rule: elderly_visit, amount: 3}") + 1
    assert words["line"].format(line=first) in review
    assert "{fact: d4-1, rule: elderly_visit, amount: 3}" in review
    assert "{fact: d4-3, rule: elderly_visit, amount: 2, limited_by: rule:elderly_visit/week}" in review
    assert _yaml(page) == text
    if screen == "phone":
        assert page.eval(STICKING_OUT) == []
    page.screenshot(artifacts / f"editor-expectations-{shot}.png")

    page.click("#accept-expectations")
    page.wait_text(words["applied"], selector="#tests", timeout=40)
    page.wait_text(words["tests"].format(passed=total, total=total), selector="#tests-summary", timeout=30)
    assert not page.eval("document.querySelector('#update-expectations')")
    after = _yaml(page).split("\n")
    changed = [(old, new) for old, new in zip(lines, after, strict=True) if old != new]
    assert len(changed) == 12, changed  # 2 awards of one test, 9 awards and a balance of another
    assert all(re.fullmatch(r"\s+- \{fact: d\d-\d, rule: elderly_visit, amount: \d.*\}|\s+e10: \{.*\}", old)
               for old, _ in changed), changed
    _wait_saved(page, ref)

    # the diff: every change with what it was and what it becomes
    page.click("#show-diff")
    page.wait("document.querySelector('#diff-other')")
    diff = page.text("#diff-view")
    today = re.search(r"^effective_from: (\S+)$", _yaml(page), re.M).group(1)
    for said in (words["award"], words["note"], words["other"], words["effective_from"].format(today=today),
                 f"tests[{TEST}]"):
        assert said in diff, (said, diff)
    assert "{points: 4}" in page.text("#diff-table") and TEST not in page.text("#diff-table")
    _lines_line_up(page)
    if screen == "phone":
        assert page.eval(STICKING_OUT) == []
    page.screenshot(artifacts / f"editor-diff-{shot}.png")


@pytest.mark.parametrize("screen", ["desktop"], indirect=True)
def test_a_note_the_form_cannot_restate_is_flagged_and_error_bands_stay_on_their_lines(page, demo, artifacts, screen):
    ref = _open_new_draft(page, demo, "zh")
    text = _yaml(page)
    # the note states 3 twice: which one is the award's? the form says so instead of guessing
    ambiguous = text.replace(NOTE.format(points=3), "    note: 每次 3 分，一天最多 3 次")
    page.fill("#yaml", ambiguous)
    _use_form(page, RULE, "4")
    page.wait("document.querySelector('#yaml').value.includes('award: {points: 4}')")
    page.wait_text(WORDS["zh"]["stale"], selector="#form-msg")
    assert "    note: 每次 3 分，一天最多 3 次" in _yaml(page).split("\n")
    _wait_saved(page, ref)

    # new expectations apply to the text the tests ran on, never to one edited since; dismissed, nothing changes
    page.click("#run-tests")
    page.wait("document.querySelector('#update-expectations')", timeout=30)
    page.click("#update-expectations")
    edited = _yaml(page) + "# a line typed after the tests ran\n"
    page.fill("#yaml", edited)
    page.click("#accept-expectations")
    page.wait_text("运行测试后 YAML 又改动过：请重新运行测试，再更新预期。", selector="#expectations-review")
    assert _yaml(page) == edited
    page.click("#dismiss-expectations")
    page.wait("document.querySelector('#expectations-review').hidden && "
              "!document.querySelector('#update-expectations').hidden")
    assert _yaml(page) == edited

    # an error below many wrapped lines: its mark, band and line stand level, before and after a jump to it
    lines = _yaml(page).split("\n")
    bad = lines.index("        - {fact: d4-1, rule: elderly_visit, amount: 3}") + 1
    lines[bad - 1] = "        - {fact: d4-1, rule: elderly_visit, amount: three}"
    page.fill("#yaml", "\n".join(lines))
    page.wait(f"document.querySelector('#bands .band[data-line=\"{bad}\"]')", timeout=20,
              message=f"no error band at line {bad}")
    level = f"""(() => {{
      const band = document.querySelector('#bands .band[data-line="{bad}"]').getBoundingClientRect();
      const row = document.querySelector('#gutter div[data-line="{bad}"]').getBoundingClientRect();
      return [band.top - row.top, band.height - row.height];
    }})()"""
    assert page.eval(level) == [0, 0]
    _lines_line_up(page)
    page.click(f"#problems li[data-line='{bad}']")
    page.wait(f"document.querySelector('#yaml').value.slice(0, document.querySelector('#yaml').selectionStart)"
              f".split('\\n').length === {bad}")
    assert page.eval("document.querySelector('#yaml').scrollTop") > 0  # it did scroll down to the line
    assert page.eval(level) == [0, 0]
    _lines_line_up(page)
    page.screenshot(artifacts / "editor-error-wrapped.png", full_page=False)

    # the rewriting itself: a value stated once as points changes; 12 is not 2; a shared old value is left alone
    said = page.eval("""import('/console/static/yamledit.js').then((m) => {
      const rule = (note) => `rules:\\n  - id: r\\n    title: 每次加分\\n    award: {points: 2}\\n    note: ${note}\\n`;
      return [m.restate(rule('每次 2 分，每月最多 12 分'), 'r', [[2, 3]]),
              m.restate(rule('每次2个积分，每月最多 10 分'), 'r', [[2, 3], [10, 12]]),
              m.restate(rule('每次 2 分'), 'r', [[2, 3], [2, 5]]),
              m.restate(rule('每次两分'), 'r', [[2, 3]])];
    })""")
    assert [s["text"].split("\n")[4] for s in said] == [
        "    note: 每次 3 分，每月最多 12 分", "    note: 每次3个积分，每月最多 12 分", "    note: 每次 2 分",
        "    note: 每次两分"]
    assert [len(s["stale"]) for s in said] == [0, 0, 1, 0]
