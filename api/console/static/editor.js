// The standard editor: YAML with line numbers, errors at their line (debounced server
// validation), embedded tests (with new expectations proposed from their results, to accept
// or dismiss), rule-by-rule diff against the version in force, publish, and a form for the
// common edits (award, limits, switch a rule off) that keeps the rule's title and note in step.
import { api, ApiError, get, post } from "./api.js";
import { t } from "./i18n.js";
import { h, clear, shanghaiToday } from "./ui.js";
import { UNSAVED_KEY } from "./catalogue.js";
import { flow, formatLimits, formatTable, parseLimits, parseTable, plainLimits, restate, setRuleKey } from "./yamledit.js";

const DEBOUNCE_MS = 700;
const ROW = 20;  // px: the textarea's line height (style.css), the height of a line that does not wrap

const today = shanghaiToday;

export async function editorPage({ base, ruleset, version, inForceVersions, problemBox }) {
  const [rows, current] = await Promise.all([get(`${base}/rulesets?id=${encodeURIComponent(ruleset)}`),
    get(`${base}/rulesets/${encodeURIComponent(ruleset)}/versions/${version}`)]);
  const state = { version, published: current.status === "published", resolved: current.resolved, seq: 0, timer: null, saved: !!current };
  const inForce = () => inForceVersions(rows)[ruleset];

  const status = h("div", { id: "editor-status", class: "muted" });
  const gutter = h("div", { class: "gutter", id: "gutter" });
  const area = h("textarea", { id: "yaml", spellcheck: "false", value: current.yaml });  // long lines wrap softly
  const bands = h("div", { class: "bands", id: "bands" });  // a red band and the message behind each line with a problem
  // each line laid out as the textarea lays it out, to learn how many rows it wraps into
  const mirror = h("div", { class: "yaml-mirror", "aria-hidden": "true" });
  const problems = h("ul", { id: "problems" });
  const problemsHead = h("div", { id: "problems-head" });
  const testsOut = h("div", { id: "tests" });
  const diffOut = h("div", { id: "diff-view" });
  const publishOut = h("div", { id: "publish-result" });
  const title = h("h2", { id: "editor-title" });
  let marks = new Map();
  let tops = [0];  // where each line starts, in px from the top of the text
  const ruleTitle = (id) => [...(state.resolved.rules || []), ...(state.resolved.period_rules || [])].find((r) => r.id === id)?.title || id;

  // A soft-wrapped line may take several rows: its number and its error band get the height
  // the mirror measures for it, so they stay beside the line however narrow the screen.
  let heightOf = new Map();  // a line's text → its height at the width measured (typing measures the new lines only)
  function lineHeights(lines) {
    if (!area.clientWidth) return lines.map(() => ROW);  // not on screen yet: measured again when it is
    if (mirror.style.width !== `${area.clientWidth}px` || heightOf.size > 20000) {
      heightOf = new Map();
      mirror.style.width = `${area.clientWidth}px`;
    }
    const fresh = [...new Set(lines.filter((line) => !heightOf.has(line)))];
    if (fresh.length) {
      mirror.replaceChildren(...fresh.map((line) => h("div", {}, line)));
      [...mirror.children].forEach((row, i) => heightOf.set(fresh[i], row.offsetHeight || ROW));
      clear(mirror);
    }
    return lines.map((line) => heightOf.get(line));
  }

  function drawGutter() {
    const lines = area.value.split("\n");
    const heights = lineHeights(lines);
    tops = heights.reduce((acc, height) => { acc.push(acc[acc.length - 1] + height); return acc; }, [0]);
    clear(gutter);
    heights.forEach((height, i) => {
      const mark = marks.get(i + 1);
      gutter.append(h("div", { class: mark ? "err" : "", "data-line": i + 1, title: mark || null, style: `height:${height}px` }, String(i + 1)));
    });
    clear(bands);
    for (const [line, message] of marks) {
      if (line > lines.length) continue;
      bands.append(h("div", { class: "band", "data-line": line, style: `top:${tops[line - 1]}px;height:${heights[line - 1]}px` },
        h("span", {}, message.split("\n")[0])));
    }
    syncScroll();
  }

  function syncScroll() {
    gutter.scrollTop = area.scrollTop;
    bands.style.transform = `translateY(${-area.scrollTop}px)`;
  }

  function showProblems(list) {
    marks = new Map();
    clear(problems);
    clear(problemsHead);
    if (list.length) problemsHead.append(h("div", { class: "msg bad" }, t("problems_n", { n: list.length })));
    for (const p of [...list].sort((a, b) => (a.line || 0) - (b.line || 0) || (a.column || 0) - (b.column || 0))) {
      if (p.line) marks.set(p.line, [marks.get(p.line), p.message].filter(Boolean).join("\n"));
      const where = p.line ? t("line_col", { line: p.line, column: p.column || 1 }) : t("no_line");
      const item = h("li", { "data-line": p.line || "" }, h("span", { class: "where" }, where), p.message, p.path ? h("span", { class: "muted" }, ` (${p.path})`) : "");
      item.addEventListener("click", () => goTo(p.line || 1));
      problems.append(item);
    }
    drawGutter();
  }

  function goTo(line) {
    const lines = area.value.split("\n");
    const pos = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    area.focus();
    area.setSelectionRange(pos, pos + (lines[line - 1] || "").length);
    area.scrollTop = Math.max(0, (tops[line - 1] || 0) - 4 * ROW);
    syncScroll();
  }

  async function validate() {
    if (state.published) return;
    const seq = ++state.seq;
    status.textContent = t("validating");
    try {
      const summary = await api("POST", `${base}/rulesets?name=${encodeURIComponent(ruleset + ".yaml")}`, { text: area.value });
      if (seq !== state.seq) return;
      state.version = summary.version;
      state.saved = true;
      if (unsaved) { sessionStorage.removeItem(UNSAVED_KEY); unsaved = null; }  // the moved text is a draft now
      const read = await get(`${base}/rulesets/${encodeURIComponent(summary.id)}/versions/${summary.version}`);
      if (seq !== state.seq) return;
      state.resolved = read.resolved;
      fillRules();
      showProblems([]);
      status.textContent = t("valid_saved", { ref: summary.ref });
      status.className = "ok";
      history.replaceState(null, "", `#/editor/${encodeURIComponent(summary.id)}/${summary.version}`);
      title.textContent = `${t("editor_title")} · ${summary.ref} (${t("status_draft")})`;
    } catch (err) {
      if (seq !== state.seq) return;
      state.saved = false;
      status.className = "bad";
      status.textContent = err.message;
      if (err instanceof ApiError && err.code === "ruleset_invalid") {
        status.textContent = t("problems_n", { n: err.errors.length });
        showProblems(err.errors);
      }
      else { showProblems([]); clear(problemsHead).append(problemBox(err)); }
    }
  }

  area.addEventListener("input", () => {
    drawGutter();
    clearTimeout(state.timer);
    state.timer = setTimeout(validate, DEBOUNCE_MS);
  });
  area.addEventListener("scroll", syncScroll);
  let measured = 0;  // the width the rows were measured at: a new width wraps them anew
  new ResizeObserver(() => { if (area.clientWidth !== measured) { measured = area.clientWidth; drawGutter(); } }).observe(area);

  // buttons
  const btn = (id, label, fn, cls = "secondary") => { const b = h("button", { id, class: cls, type: "button" }, t(label)); b.addEventListener("click", fn); return b; };
  const validateBtn = btn("validate", "validate", () => { clearTimeout(state.timer); validate(); });
  async function runTests(...before) {
    clear(testsOut).append(h("p", { class: "muted" }, t("loading")));
    const text = area.value;
    try {
      const out = await api("POST", `/console/api${base}/rulesets/test`, { text });
      clear(testsOut).append(...before, testsTable(out.tests, out.passed, out.total, ruleTitle));
      if (!area.readOnly) offerExpectations(out.expectations, text);
    } catch (err) {
      clear(testsOut).append(problemBox(err));
      if (err.code === "ruleset_invalid") showProblems(err.errors);
    }
  }
  const testsBtn = btn("run-tests", "run_tests", () => runTests());

  // The failed tests made to expect what came: shown line by line (old → new), written only
  // when the member accepts, and only into the text the tests ran on.
  function offerExpectations(proposal, text) {
    if (!proposal || (!proposal.edits.length && !proposal.left.length)) return;
    const box = h("div", { class: "expectations", id: "expectations" });
    testsOut.prepend(box);
    if (proposal.left.length) box.append(h("div", { class: "msg bad", id: "expectations-left" }, t("expect_left", { tests: proposal.left.join(" · ") })));
    if (!proposal.edits.length) return;
    const review = h("div", { id: "expectations-review", hidden: true }, h("p", {}, t("expect_title")),
      ...proposal.edits.map((e) => h("div", { class: "hunk" }, h("div", { class: "muted" }, t("expect_line", { line: e.line, test: e.test })),
        ...e.before.map((line) => h("div", { class: "del" }, line)), ...e.after.map((line) => h("div", { class: "ins" }, line)))),
      h("p", { class: "muted" }, t("expect_names")));
    const offer = btn("update-expectations", "expect_offer", () => { review.hidden = false; offer.hidden = true; }, "primary");
    const dismiss = btn("dismiss-expectations", "expect_dismiss", () => { review.hidden = true; offer.hidden = false; });
    const accept = btn("accept-expectations", "expect_accept", async () => {
      if (area.value !== text) { review.append(h("div", { class: "msg bad" }, t("expect_stale"))); return; }
      const lines = text.split("\n");
      for (const e of [...proposal.edits].sort((a, b) => b.line - a.line)) lines.splice(e.line - 1, e.before.length, ...e.after);
      area.value = lines.join("\n");
      drawGutter();
      clear(publishOut);  // a refusal of the text before is no longer the news
      clearTimeout(state.timer);
      await validate();
      await runTests(h("div", { class: "msg ok", id: "expectations-applied" }, t("expect_applied", { n: proposal.edits.length })));
    }, "primary");
    review.append(h("div", { class: "row" }, accept, dismiss));
    box.append(offer, review);
  }
  const diffBtn = btn("show-diff", "show_diff", async () => {
    clear(diffOut);
    const force = inForce();
    if (!force) { diffOut.append(h("p", {}, t("no_in_force"))); return; }
    if (!state.saved && !state.published) { diffOut.append(h("p", { class: "bad" }, t("save_first"))); return; }
    try {
      const d = await get(`${base}/rulesets/${encodeURIComponent(ruleset)}/diff?base=${force}&other=${state.version}`);
      diffOut.append(diffView(d));
    } catch (err) { diffOut.append(problemBox(err)); }
  });
  const publishBtn = btn("publish", "publish", async () => {
    clear(publishOut);
    clearTimeout(state.timer);
    await validate();
    if (!state.saved) { publishOut.append(h("div", { class: "msg bad" }, t("save_first"))); return; }
    try {
      const r = await post(`${base}/rulesets/${encodeURIComponent(ruleset)}/versions/${state.version}/publish`);
      const passed = r.tests.filter((x) => x.passed).length;
      publishOut.append(h("div", { class: "msg ok", id: "published" }, t("published_ok", { ref: r.ruleset.ref, passed, total: r.tests.length })));
      state.published = true;
      area.readOnly = true;
      title.textContent = `${t("editor_title")} · ${r.ruleset.ref} (${t("status_published")})`;
      rows.splice(0, rows.length, ...(await get(`${base}/rulesets?id=${encodeURIComponent(ruleset)}`)));
    } catch (err) {
      const box = h("div", { class: "msg bad", id: "publish-refused" }, t("publish_refused", { detail: err.message }));
      publishOut.append(box);
      // failed tests are listed once, in the tests' own table (with new expectations offered), not here too
      if (err.body && err.body.tests) await runTests();
      else if (err.code === "adoption_incomplete") box.append(" ", h("a", { href: adoptionHref(), id: "publish-adoption" }, t("adoption_record_link")));
      else if (err.errors && err.errors.length) box.append(h("ul", {}, ...err.errors.map((e) => h("li", {}, e.message))));
    }
  }, "primary");

  const draftBtn = btn("new-draft", "new_draft", () => {
    const next = Math.max(...rows.map((r) => r.version)) + 1;
    area.value = area.value.replace(/^version:\s*\d+\s*$/m, `version: ${next}`).replace(/^effective_from:.*$/m, `effective_from: ${today()}`);
    state.published = false;
    state.saved = false;
    state.version = next;
    area.readOnly = false;
    readOnlyNote.hidden = true;
    draftBtn.hidden = true;
    title.textContent = `${t("editor_title")} · ${ruleset}@${next} (${t("status_draft")})`;
    drawGutter();
    validate();
  });
  const readOnlyNote = h("div", { class: "msg", id: "read-only" }, t("read_only"));
  // the community's bodies on this version, and (a standard extending a shared one) its parent's newer versions
  const adoptionHref = () => `#/adoption/${encodeURIComponent(ruleset)}/${state.version}`;
  const adoptionBtn = btn("open-adoption", "adoption", () => {
    if (!state.saved && !state.published) { clear(publishOut).append(h("div", { class: "msg bad" }, t("save_first"))); return; }
    location.hash = adoptionHref();
  });
  const upstreamBtn = btn("open-upstream", "upstream", () => { location.hash = `#/upstream/${encodeURIComponent(ruleset)}/${current.version}`; });
  upstreamBtn.hidden = !current.extends;
  area.readOnly = state.published;
  readOnlyNote.hidden = draftBtn.hidden = !state.published;
  title.textContent = `${t("editor_title")} · ${current.ref} (${t(`status_${current.status}`)})`;

  // the form view
  const f = {
    rule: h("select", { id: "form-rule" }), points: h("input", { id: "form-points", type: "number", size: 6 }),
    per: h("span", { id: "form-per", class: "muted" }), table: h("input", { id: "form-table", size: 24 }),
    limits: h("input", { id: "form-limits", size: 24 }), enabled: h("input", { id: "form-enabled", type: "checkbox" }),
  };
  const formMsg = h("div", { id: "form-msg" });
  let form = null;
  const rule = () => (state.resolved.rules || []).find((r) => r.id === f.rule.value);
  function fillRules() {
    const keep = f.rule.value;
    clear(f.rule);
    for (const r of state.resolved.rules || []) f.rule.append(h("option", { value: r.id }, `${r.title}（${r.id}）`));
    if (keep && [...f.rule.options].some((o) => o.value === keep)) f.rule.value = keep;
    if (!form || !form.contains(document.activeElement) || f.rule.value !== keep) fillRule();  // not under the user's hands
  }
  function fillRule() {
    const r = rule();
    if (!r) return;
    const award = r.award || {};
    f.points.value = award.points ?? "";
    f.points.disabled = !!award.table;
    f.table.value = award.table ? formatTable(award.table.values) : "";
    f.table.disabled = !award.table;
    f.per.textContent = award.per ? `${t("form_per")} ${award.per}` : "";
    f.limits.disabled = !plainLimits(r.limits);  // counts, rolling windows, applies_to: edited in the YAML
    f.limits.value = f.limits.disabled ? t("form_limits_yaml") : formatLimits(r.limits);
    f.enabled.checked = r.enabled !== false;
  }
  f.rule.addEventListener("change", fillRule);
  const apply = btn("form-apply", "form_apply", () => {
    const r = rule();
    clear(formMsg);
    if (!r || state.published) return;
    const award = JSON.parse(JSON.stringify(r.award || {}));
    if (award.table) award.table.values = parseTable(f.table.value);
    else award.points = Number(f.points.value);
    const limits = parseLimits(f.limits.value);
    let text = setRuleKey(area.value, r.id, "award", flow(award));
    if (text !== null && !f.limits.disabled) text = setRuleKey(text, r.id, "limits", limits.length ? flow(limits) : null);
    if (text !== null) text = setRuleKey(text, r.id, "enabled", f.enabled.checked ? null : "false");
    if (text === null) { formMsg.append(h("div", { class: "msg bad" }, t("form_not_here", { rule: r.id }))); return; }
    const said = restate(text, r.id, changedValues(r, award, f.limits.disabled ? [] : limits));
    area.value = said.text;
    drawGutter();
    formMsg.append(h("div", { class: "msg ok" }, t("form_applied", { rule: r.id })));
    for (const c of said.restated) {
      formMsg.append(h("div", { class: "msg ok restated" }, t("form_restated", { rule: r.id, field: t(`form_field_${c.key}`), old: c.old, new: c.now })));
    }
    for (const c of said.stale) {
      formMsg.append(h("div", { class: "msg bad stale" }, t("form_stale", { rule: r.id, field: t(`form_field_${c.key}`), old: c.old })));
    }
    clearTimeout(state.timer);
    validate();
  });
  fillRules();
  drawGutter();
  // the parent's newer version adopted, but the moved text does not load (catalogue.js): shown unsaved with its problems
  let unsaved = JSON.parse(sessionStorage.getItem(UNSAVED_KEY) || "null");
  if (unsaved && (unsaved.ruleset !== ruleset || unsaved.version !== version)) unsaved = null;
  if (unsaved) {
    area.value = unsaved.yaml;
    area.readOnly = state.published = state.saved = false;
    state.version = Number((/^version:\s*(\d+)/m.exec(unsaved.yaml) || [])[1]) || version;
    readOnlyNote.hidden = draftBtn.hidden = true;
    title.textContent = `${t("editor_title")} · ${ruleset}@${state.version} (${t("unsaved")})`;
    status.className = "bad";
    status.textContent = t("unsaved_moved", { target: unsaved.target });
    showProblems(unsaved.errors || []);
  }

  form = h("div", { class: "card stack", id: "rule-form" }, h("h3", {}, t("form_title")),
    h("label", {}, t("form_rule"), f.rule), h("label", {}, t("form_points"), h("span", {}, f.points, " ", f.per)),
    h("label", {}, t("form_table"), f.table), h("label", {}, t("form_limits"), f.limits),
    h("label", { class: "row" }, f.enabled, t("form_enabled")), apply, formMsg);

  return h("div", { id: "editor-page" },
    h("div", { class: "card" }, title, readOnlyNote, h("div", { class: "row" }, draftBtn, validateBtn, testsBtn, diffBtn, publishBtn, adoptionBtn, upstreamBtn), status, problemsHead),
    h("div", { class: "grid2" },
      h("div", {}, h("div", { class: "editor" }, gutter, h("div", { class: "editor-main" }, mirror, bands, area)), h("div", { class: "card" }, problems)),
      h("div", {}, form, h("div", { class: "card" }, publishOut, testsOut, diffOut))));
}

/** [old, new] of each value the form may change: the award's points (or each table value) and each limit's max by period. */
function changedValues(r, award, limits) {
  const before = r.award || {};
  const pairs = before.table ? Object.entries(award.table.values).map(([k, v]) => [before.table.values[k], v]) : [[before.points, award.points]];
  for (const l of limits) pairs.push([(r.limits || []).find((x) => x.period === l.period)?.max, l.max]);
  return pairs;
}

function testsTable(tests, passed, total, ruleTitle) {
  const table = h("table", { class: "tests-table" }, h("caption", { id: "tests-summary", class: passed === total ? "ok" : "bad" }, t("tests_result", { passed, total })));
  for (const x of tests) {
    // each difference once: as data in the console's language, or the engine's sentence when the facts were refused
    const said = x.mismatches && x.mismatches.length ? x.mismatches.map((m) => mismatchText(m, ruleTitle)) : x.failures || [];
    table.append(h("tr", { class: x.passed ? "pass" : "fail" }, h("td", { class: x.passed ? "ok" : "bad" }, x.passed ? `✓ ${t("test_pass")}` : `✗ ${t("test_fail")}`),
      h("td", {}, x.name, ...said.map((m) => h("div", { class: "bad failure" }, m)))));
  }
  return table;
}

const BALANCE_PARTS = { index: "index", points: "points", tier: "tier", flags: "mm_flags" };
const shown = (v) => (typeof v === "string" ? v : flow(v ?? null));
const signedAmount = (a) => `${a.amount > 0 ? "+" : ""}${a.amount}${a.limited_by ? t("mm_limited", { limit: a.limited_by }) : ""}`;

function mismatchText(m, ruleTitle) {
  if (m.path[0] === "balances") {
    const [, resident, part] = m.path;
    return t("mm_balance", { resident, key: t(BALANCE_PARTS[part] || part), expected: shown(m.expected), actual: shown(m.actual) });
  }
  const award = m.expected || m.actual;
  const what = award.fact != null ? t("mm_fact", { fact: award.fact }) : t("mm_period", { period: award.period });
  const params = { rule: ruleTitle(award.rule), what, expected: m.expected && signedAmount(m.expected), actual: m.actual && signedAmount(m.actual) };
  return t(!m.actual ? "mm_missing" : !m.expected ? "mm_extra" : "mm_changed", params);
}

/** One changed part: its name, what it was and what it becomes (either may be absent). */
function change(key, v) {
  const side = (value, label, cls) => (value === null || value === undefined ? h("span", { class: "muted" }, t("diff_absent"))
    : h("span", { class: cls }, `${t(label)} ${shown(value)}`));
  return h("div", { class: "change" }, h("b", {}, key), ": ", side(v.before, "before", "bad"), " → ", side(v.after, "after", "ok"));
}

export function diffView(d) {
  const box = h("div", {}, h("h3", {}, t("diff_title", { base: d.base, other: d.other })));
  if (!d.rules.length) box.append(h("p", { class: "muted" }, t("diff_none")));
  const table = h("table", { id: "diff-table" });
  for (const c of d.rules) {
    table.append(h("tr", {}, h("td", {}, c.rule), h("td", {}, t(`change_${c.change}`)), h("td", {}, ...Object.entries(c.fields || {}).map(([k, v]) => change(k, v)))));
  }
  box.append(table);
  const others = Object.entries(d.other_changes || {});
  if (others.length) box.append(h("h4", {}, t("other_changes")), h("div", { id: "diff-other" }, ...others.map(([k, v]) => change(k, v))));
  return box;
}
