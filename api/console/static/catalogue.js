// The catalogue of shared standards (browse, view, download a bundle, derive this community's own,
// import a bundle, share a published version), a derived standard's upstream updates (what the
// parent changed, each override on the new parent, the moved text's problems, adopt), and a
// draft's adoption by the community's bodies (each body's decisions, recording one).
// Rules, bodies and standards are named by their titles; ids only as muted secondary text.
import { api, download, get, post } from "./api.js";
import { t } from "./i18n.js";
import { h, clear, shanghaiToday } from "./ui.js";
import { flow } from "./yamledit.js";
import { diffView } from "./editor.js";

// The editor opens this text unsaved, with its problems (an adoption whose moved text does not load).
export const UNSAVED_KEY = "xinzhi.editor.unsaved";
const enc = encodeURIComponent;
const muted = (text) => h("span", { class: "muted id" }, ` ${text}`);
// A refusal as the server says it in the reader's language, each problem with its line where it has one.
function refusal(err) {
  const box = h("div", { class: "msg bad refusal" }, err.message);
  const items = err.errors || [];
  if (items.length) box.append(h("ul", {}, ...items.map((e) => h("li", {}, e.line ? `${t("line_col", { line: e.line, column: e.column || 1 })} ` : "", e.message))));
  return box;
}
const scopeOf = (e) => (e.audience ? (e.audience_title || e.audience.join("、")) : t("cat_everyone"));

// ---- the catalogue page ----
export async function cataloguePage({ base, roles, reload }) {
  const committee = roles.includes("committee");
  const entries = await get(`${base}/catalogue`);
  const list = h("div", { id: "catalogue" });
  const titles = Object.fromEntries(entries.map((e) => [e.ref, e.title]));
  for (const e of entries) list.append(entryCard(e, { base, committee, titles }));
  if (!entries.length) list.append(h("p", { class: "muted" }, t("catalogue_empty")));
  const done = sessionStorage.getItem("xinzhi.catalogue.msg");
  sessionStorage.removeItem("xinzhi.catalogue.msg");
  return h("div", { id: "catalogue-page" },
    h("div", { class: "card" }, h("h2", {}, t("catalogue_title")), h("p", { class: "muted" }, t(committee ? "catalogue_hint" : "catalogue_hint_staff")),
      done ? h("div", { class: "msg ok", id: "bundle-done" }, done) : "", list),
    committee ? bundleImport({ base, reload }) : "");
}

function entryCard(e, { base, committee, titles }) {
  const s = e.summary;
  const path = `${base}/catalogue/${enc(e.catalogue_id)}/versions/${e.version}`;
  const status = h("div", { class: "entry-status" });
  const facts = h("div", { class: "facts" },
    ...fact("cat_source", e.provenance.community_name || e.source_community, e.provenance.community_name && e.provenance.community_name !== e.source_community ? e.source_community : ""),
    ...fact("cat_version", `v${e.version} · ${t("cat_effective", { date: s.effective_from })}`),
    ...(s.extends ? fact("cat_extends", titles[s.extends] || s.extends, titles[s.extends] ? s.extends : "") : []),
    ...fact("cat_categories", s.categories.join("、") || "—"),
    ...fact("cat_fact_types", s.fact_types.join("、") || "—"),
    ...fact("cat_rules", t("cat_rules_n", { n: s.rules })),
    ...fact("cat_tests", h("span", { class: s.tests_passed === s.tests ? "ok tests-passed" : "bad tests-passed" }, t("cat_tests_n", { passed: s.tests_passed, total: s.tests }))),
    ...fact("cat_audience", h("span", { class: "audience" }, scopeOf(e)), e.audience && e.audience_title ? e.audience.join("、") : ""),
    ...(e.origin === "imported" ? fact("cat_origin", t("cat_imported")) : []));
  const yaml = h("div", { class: "entry-yaml", hidden: true });
  const view = h("button", { class: "secondary view-yaml", type: "button" }, t("cat_view"));
  view.addEventListener("click", async () => {
    if (!yaml.hidden) { yaml.hidden = true; view.textContent = t("cat_view"); return; }
    clear(status);
    try {
      const full = await get(path);
      clear(yaml).append(h("pre", { class: "yaml-text" }, full.yaml),
        ...Object.entries(full.parents).map(([ref, text]) => h("details", { class: "parent-yaml" }, h("summary", {}, t("cat_chain", { ref })), h("pre", { class: "yaml-text" }, text))));
      yaml.hidden = false;
      view.textContent = t("cat_hide");
    } catch (err) { status.append(refusal(err)); }
  });
  const file = `${e.catalogue_id}@${e.version}.bundle.yaml`;
  const bundle = h("button", { class: "secondary download-bundle", type: "button" }, t("cat_download"));
  bundle.addEventListener("click", async () => {
    clear(status);
    bundle.disabled = true;
    try {
      await download(`${path}/bundle`, file);
      status.append(h("div", { class: "msg ok download-ok" }, t("downloaded", { file })));
    } catch (err) { status.append(refusal(err)); } finally { bundle.disabled = false; }
  });
  const buttons = h("div", { class: "row" }, view, bundle);
  const card = h("div", { class: "standard", "data-ref": e.ref },
    h("h3", {}, e.title, muted(e.ref)), s.description ? h("p", { class: "muted" }, s.description) : "", facts, buttons);
  if (committee) {
    const form = deriveForm(e, { path });
    const open = h("button", { class: "primary derive-open", type: "button" }, t("cat_derive"));
    open.addEventListener("click", () => { form.hidden = !form.hidden; });
    buttons.append(open);
    card.append(form);
  }
  card.append(status, yaml);
  return card;
}

function fact(label, value, aside = "") {
  return [h("span", { class: "muted" }, t(label)), h("span", {}, value, aside ? muted(aside) : "")];
}

function deriveForm(e, { path }) {  // → the new draft in the editor
  const id = h("input", { class: "derive-id", size: 20, placeholder: "my_standard_2026" });
  const title = h("input", { class: "derive-title", size: 30 });
  const from = h("input", { class: "derive-from", type: "date", value: shanghaiToday() });
  const go = h("button", { class: "primary derive-go", type: "button" }, t("derive_go"));
  const out = h("div", {});
  go.addEventListener("click", async () => {
    clear(out);
    go.disabled = true;
    try {
      const draft = await post(`${path}/derive`, { id: id.value.trim(), title: title.value.trim(), effective_from: from.value });
      location.hash = `#/editor/${enc(draft.id)}/${draft.version}`;
    } catch (err) { out.append(refusal(err)); } finally { go.disabled = false; }
  });
  return h("div", { class: "derive-form stack", hidden: true }, h("p", { class: "muted" }, t("derive_hint", { title: e.title, ref: e.ref })),
    h("label", {}, t("derive_id"), id), h("label", {}, t("derive_title"), title), h("label", {}, t("derive_from"), from), h("div", {}, go), out);
}

function bundleImport({ base, reload }) {
  // the browser's own file field speaks the browser's language: a button of ours opens it, and says what was chosen
  const file = h("input", { type: "file", id: "bundle-file", hidden: true, accept: ".yaml,.yml,application/yaml,text/yaml" });
  const pick = h("button", { class: "secondary", id: "bundle-pick", type: "button" }, t("import_pick"));
  const picked = h("span", { id: "bundle-name", class: "muted" }, t("import_none"));
  pick.addEventListener("click", () => file.click());
  file.addEventListener("change", () => { picked.textContent = file.files[0] ? file.files[0].name : t("import_none"); });
  const go = h("button", { class: "primary", id: "bundle-go", type: "button" }, t("bundle_go"));
  const out = h("div", { id: "bundle-out" });
  go.addEventListener("click", async () => {
    clear(out);
    const chosen = file.files[0];
    if (!chosen) { out.append(h("div", { class: "msg bad" }, t("import_choose"))); return; }
    go.disabled = true;
    try {
      const entry = await api("POST", `${base}/catalogue/bundles`, { text: chosen, contentType: "application/yaml" });
      sessionStorage.setItem("xinzhi.catalogue.msg", t("bundle_done", { title: entry.title, ref: entry.ref }));
      reload();
    } catch (err) { out.append(refusal(err)); } finally { go.disabled = false; }
  });
  return h("div", { class: "card", id: "bundle-import" }, h("h2", {}, t("bundle_title")), h("p", { class: "muted" }, t("bundle_hint")),
    h("div", { class: "files-row" }, pick, picked, file, go), out);
}

// ---- sharing a published version (the rulesets list) ----
export function shareControl({ base }, r) {
  const everyone = h("input", { type: "radio", name: `share-${r.ref}`, value: "all", checked: true, class: "share-all" });
  const group = h("input", { type: "radio", name: `share-${r.ref}`, value: "group", class: "share-group" });
  const communities = h("input", { class: "share-communities", size: 24 });
  const title = h("input", { class: "share-group-title", size: 16 });
  const groupBox = h("div", { class: "stack", hidden: true }, h("label", {}, t("share_communities"), communities), h("label", {}, t("share_group_title"), title));
  for (const radio of [everyone, group]) radio.addEventListener("change", () => { groupBox.hidden = !group.checked; });
  const out = h("div", { class: "share-out" });
  const go = h("button", { class: "primary share-go", type: "button" }, t("share_go"));
  const panel = h("div", { class: "share-form", hidden: true }, h("p", {}, t("share_intro", { title: r.title, ref: r.ref })),
    h("div", { class: "row" }, h("label", {}, everyone, t("share_everyone")), h("label", {}, group, t("share_group"))), groupBox, h("div", {}, go), out);
  go.addEventListener("click", async () => {
    clear(out);
    let body = {};
    if (group.checked) {
      const list = communities.value.split(/[,，、\s]+/).filter(Boolean);
      if (!list.length || !title.value.trim()) { out.append(h("div", { class: "msg bad" }, t("share_need_group"))); return; }
      body = { communities: list, group_title: title.value.trim() };
    }
    go.disabled = true;
    try {
      const e = await post(`${base}/rulesets/${enc(r.id)}/versions/${r.version}/share`, body);
      out.append(h("div", { class: "msg ok share-done" }, t("share_done", { title: e.title, ref: e.ref, scope: scopeOf(e) }), " ",
        h("a", { href: "#/catalogue" }, t("nav_catalogue"))));
    } catch (err) { out.append(refusal(err)); } finally { go.disabled = false; }
  });
  const button = h("button", { class: "secondary share-open", type: "button", "data-ref": r.ref }, t("share"));
  button.addEventListener("click", () => { panel.hidden = !panel.hidden; });
  return { button, panel };
}

// ---- values as a person reads them ----
function said(key, value) {
  if (value === null || value === undefined) return t("diff_absent");
  if (typeof value === "boolean") return t(value ? "bool_true" : "bool_false");
  if (key === "award" && value && typeof value === "object" && Object.keys(value).length === 1 && "points" in value) return t("points_n", { n: value.points });
  return typeof value === "string" ? value : flow(value);
}
// a part's name: award → 分值; an item of a list (categories[care], tests[…]) → 分类「care」
function fieldName(key) {
  const [, part, item] = /^([a-z_]+)(?:\[(.*)\])?$/.exec(key) || [null, key, undefined];
  const name = t(`field_${part}`) === `field_${part}` ? part : t(`field_${part}`);
  return item === undefined ? name : t("field_item", { part: name, item });
}

function beforeAfter(key, before, after) {
  return h("div", { class: "change", "data-key": key }, h("b", {}, fieldName(key)), t("colon"),
    h("span", { class: "bad" }, `${t("before")} ${said(key, before)}`), " → ", h("span", { class: "ok" }, `${t("after")} ${said(key, after)}`));
}

function ruleChanges(diff, titleOf, id) {
  const list = h("ul", { class: "rule-changes", id });
  if (!diff || !diff.rules.length) list.append(h("li", { class: "muted" }, t("upstream_rules_same")));
  for (const c of diff ? diff.rules : []) {
    const fields = c.fields || {};
    const title = titleOf(c.rule) || (fields.rule && ((fields.rule.before || {}).title || (fields.rule.after || {}).title)) || c.rule;
    const item = h("li", { "data-rule": c.rule }, h("b", {}, title), muted(c.rule), " · ", h("span", { class: `change-${c.change}` }, t(`change_${c.change}`)));
    if (c.change === "changed") item.append(...Object.entries(fields).map(([k, v]) => beforeAfter(k, v.before, v.after)));
    list.append(item);
  }
  const others = Object.entries((diff && diff.other_changes) || {});
  if (!others.length) return list;
  return h("div", {}, list, h("h4", {}, t("other_changes")),
    h("div", { class: "other-changes" }, ...others.map(([k, v]) => beforeAfter(k, v.before, v.after))));
}

// ---- upstream: a derived standard against a newer catalogue version of its parent ----
export async function upstreamPage({ base, community }, ruleset, version, to) {
  const at = `${base}/rulesets/${enc(ruleset)}/versions/${version}`;
  const [preview, current, catalogue] = await Promise.all([get(`${at}/upstream${to ? `?to=${to}` : ""}`), get(at), get(`${base}/catalogue`)]);
  const titles = Object.fromEntries(catalogue.map((e) => [e.ref, e.title]));
  const rules = [...(current.resolved.rules || []), ...(current.resolved.period_rules || [])];
  const ruleTitle = (id) => rules.find((r) => r.id === id)?.title;
  const standard = (ref) => h("span", {}, titles[ref] || ref, titles[ref] ? muted(ref) : "");
  const around = (key, node) => { const [before, after = ""] = t(key).split("{what}"); return [before, node, after]; };
  const page = h("div", { id: "upstream-page" });
  const head = h("div", { class: "card" }, h("h2", {}, t("upstream_title", { title: current.title }), muted(current.ref)),
    h("div", { class: "row" }, h("a", { href: `#/editor/${enc(ruleset)}/${version}`, id: "upstream-editor" }, t("back_to_editor"))));
  page.append(head);
  if (!preview.extends) { head.append(h("p", { class: "msg", id: "upstream-none" }, t("upstream_not_derived"))); return page; }
  head.append(h("p", { id: "upstream-pinned" }, ...around("upstream_pinned", standard(preview.extends))));
  const [parentId] = preview.extends.split("@");
  if (!preview.newer.length) { head.append(h("p", { class: "msg ok", id: "upstream-none" }, t("upstream_latest"))); return page; }
  const choose = h("select", { id: "upstream-to" }, ...preview.newer.map((m) => h("option", { value: m }, `${titles[`${parentId}@${m}`] || parentId} · v${m}`)));
  choose.value = preview.target.split("@")[1];
  choose.addEventListener("change", () => { location.hash = `#/upstream/${enc(ruleset)}/${version}/${choose.value}`; });
  head.append(h("label", { id: "upstream-newer" }, t("upstream_newer"), choose), h("p", { id: "upstream-target" }, ...around("upstream_target", standard(preview.target))));

  // what the parent itself changed
  page.append(h("div", { class: "card" }, h("h3", {}, t("upstream_parent_changes", { from: preview.extends, to: preview.target })),
    ruleChanges(preview.parent_diff, ruleTitle, "parent-changes")));

  // each of this community's overrides on the new parent, and the moved text's problems
  const problems = preview.problems || [];
  const overrides = h("ul", { id: "overrides" });
  preview.overrides.forEach((o, i) => {
    const located = problems.filter((p) => (p.path || "").startsWith(`overrides[${i}]`) || p.message.includes(o.rule));
    const item = h("li", { "data-rule": o.rule, "data-status": o.status }, h("b", {}, ruleTitle(o.rule) || o.rule), muted(o.rule),
      h("div", { class: "muted" }, t("override_keys", { keys: o.keys.map(fieldName).join("、") })));
    if (o.status === "applies") item.append(h("div", { class: "ok status" }, t("override_applies")));
    else if (o.status === "parent_changed") {
      item.append(h("div", { class: "status" }, t("override_parent_changed")), ...o.parent_changed.map((k) => beforeAfter(k, o.parent_before[k], o.parent_after[k])));
    } else {
      item.append(h("div", { class: "bad status" }, t("override_rule_removed"),
        ...located.filter((p) => p.line).map((p) => h("span", { class: "line" }, t("override_line", { line: p.line })))));
    }
    overrides.append(item);
  });
  page.append(h("div", { class: "card" }, h("h3", {}, t("upstream_overrides")),
    preview.overrides.length ? overrides : h("p", { class: "muted" }, t("upstream_no_overrides"))));
  const problemList = h("ul", { id: "upstream-problems" }, ...problems.map((p) => h("li", { "data-line": p.line || "" },
    h("span", { class: "where" }, p.line ? t("line_col", { line: p.line, column: p.column || 1 }) : t("no_line")), " ", p.message)));
  page.append(h("div", { class: "card" }, h("h3", {}, t("upstream_problems")),
    problems.length ? problemList : h("p", { class: "ok", id: "upstream-problems" }, t("upstream_no_problems")),
    preview.diff ? h("div", {}, h("h3", {}, t("upstream_child_changes")), ruleChanges(preview.diff, ruleTitle, "child-changes")) : ""));

  // adopt: the next draft (or, when the moved text does not load, the editor with that text to fix)
  const target = Number(choose.value);
  const out = h("div", { id: "adopt-out" });
  const adopt = h("button", { class: "primary", id: "adopt", type: "button" }, t("upstream_adopt"));
  adopt.addEventListener("click", async () => {
    clear(out);
    adopt.disabled = true;
    try {
      const draft = await post(`${at}/upstream/adopt`, { to: target });
      location.hash = `#/editor/${enc(draft.id)}/${draft.version}`;
    } catch (err) {
      if (err.body && err.body.yaml) {
        sessionStorage.setItem(UNSAVED_KEY, JSON.stringify({ ruleset, version, yaml: err.body.yaml, errors: err.errors, target: preview.target }));
        location.hash = `#/editor/${enc(ruleset)}/${version}`;
      } else out.append(refusal(err));
    } finally { adopt.disabled = false; }
  });
  page.append(h("div", { class: "card" }, h("p", { class: "muted" }, t(problems.length ? "upstream_adopt_fix" : "upstream_adopt_hint")),
    h("div", { class: "row" }, adopt), out, whatIf({ base, community, ruleset, version, target })));
  return page;
}

// A what-if of the move on the facts recorded in a period: this version now against it on the new parent.
function whatIf({ base, community, ruleset, version, target }) {
  const period = h("input", { id: "upstream-whatif-period", size: 12, value: shanghaiToday().slice(0, 4) });
  const go = h("button", { class: "secondary", id: "upstream-whatif", type: "button" }, t("upstream_whatif"));
  const out = h("div", {});
  go.addEventListener("click", async () => {
    clear(out);
    try {
      const ref = `${ruleset}@${version}`;
      const job = await post(`${base}/simulations`, { baseline: ref, candidate: ref, candidate_upstream: target,
        source: { kind: "store", period: period.value.trim() } });
      sessionStorage.setItem(`xinzhi.whatif.${community}`, job.id);  // the what-if page follows it
      location.hash = "#/whatif";
    } catch (err) { out.append(refusal(err)); }
  });
  return h("div", { class: "row" }, h("label", {}, t("upstream_whatif_period"), period), go, out);
}

// ---- adoption: the community's bodies on a draft's current text ----
export async function adoptionPage({ base, roles, reload }, ruleset, version) {
  const at = `${base}/rulesets/${enc(ruleset)}/versions/${version}`;
  const [record, current] = await Promise.all([get(`${at}/adoption`), get(at)]);
  const rules = [...(current.resolved.rules || []), ...(current.resolved.period_rules || [])];
  const itemTitle = (item) => rules.find((r) => r.id === item)?.title;
  const page = h("div", { id: "adoption-page" });
  const head = h("div", { class: "card" }, h("h2", {}, t("adoption_title", { title: current.title }), muted(current.ref), " ",
    h("span", { class: `pill ${record.status}` }, t(`status_${record.status}`))),
    h("div", { class: "row" }, h("a", { href: `#/editor/${enc(ruleset)}/${version}`, id: "adoption-editor" }, t("back_to_editor")),
      h("a", { href: "#/whatif", id: "adoption-whatif" }, t("adoption_whatif"))));
  page.append(head);
  // what the bodies study: the draft against the last published version of the same standard, change by change
  const published = (await get(`${base}/rulesets?id=${enc(ruleset)}`)).filter((r) => r.status === "published" && r.version !== version);
  const previous = published.sort((a, b) => b.version - a.version)[0];
  if (previous) page.append(h("div", { class: "card", id: "adoption-diff" }, diffView(await get(`${base}/rulesets/${enc(ruleset)}/diff?base=${previous.version}&other=${version}`))));
  const done = sessionStorage.getItem("xinzhi.adoption.msg");
  sessionStorage.removeItem("xinzhi.adoption.msg");
  if (done) head.append(h("div", { class: "msg ok", id: "adoption-saved" }, done));
  if (!record.bodies.length) { head.append(h("p", { class: "msg", id: "adoption-summary" }, t("adoption_none"))); return page; }
  if (record.status === "published") head.append(h("div", { class: "msg", id: "adoption-closed" }, t("adoption_published")));
  if (record.complete) head.append(h("div", { class: "msg ok", id: "adoption-summary" }, t(record.status === "published" ? "adoption_was_complete" : "adoption_complete")));
  else if (record.status === "draft") head.append(h("div", { class: "msg bad", id: "adoption-summary" }, t("adoption_missing", { bodies: record.missing.join("、") })));

  const bodies = h("div", { id: "adoption-bodies" });
  for (const b of record.bodies) {
    const latest = b.latest ? t(`decision_${b.latest}`) : t("decision_none");
    const history = b.decisions.length ? h("ul", { class: "decisions" }, ...[...b.decisions].reverse().map((d) => h("li", { "data-seq": d.seq },
      h("div", {}, t("decision_line", { date: d.held_on, decision: t(`decision_${d.decision}`), recorder: d.recorded_by }),
        d.current ? "" : h("span", { class: "muted" }, t("decision_old_text"))),
      ...d.comments.map((c) => h("div", { class: "comment" }, h("b", {}, itemTitle(c.item) || c.item), itemTitle(c.item) ? muted(c.item) : "", t("colon"), c.text)))))
      : h("p", { class: "muted" }, t("adoption_no_history"));
    bodies.append(h("div", { class: "body-status", "data-body": b.id },
      h("h3", {}, b.title, muted(b.id), " ", h("span", { class: `pill ${b.required ? "draft" : ""}` }, t(b.required ? "body_required" : "body_optional"))),
      h("div", { class: `latest ${b.latest === "approve" ? "ok" : b.latest === "reject" ? "bad" : "muted"}` }, t("latest_on_text", { decision: latest })),
      history));
  }
  page.append(h("div", { class: "card" }, h("h3", {}, t("adoption_history")), bodies));
  if (record.status === "draft" && roles.includes("committee")) page.append(decisionForm({ at, record, rules, reload }));
  return page;
}

function decisionForm({ at, record, rules, reload }) {
  const f = {
    body: h("select", { id: "decision-body" }, ...record.bodies.map((b) => h("option", { value: b.id }, b.title))),
    decision: h("select", { id: "decision-kind" }, ...["approve", "reject", "comment"].map((d) => h("option", { value: d }, t(`decision_${d}`)))),
    held_on: h("input", { id: "decision-date", type: "date", value: shanghaiToday() }),
    recorded_by: h("input", { id: "decision-recorder", size: 20 }),
  };
  const items = [h("option", { value: "总体" }, t("adoption_overall")), ...rules.map((r) => h("option", { value: r.id }, r.title))];
  const comments = h("div", { id: "decision-comments" });
  const addComment = () => comments.append(h("div", { class: "comment-row" },
    h("select", { class: "comment-item" }, ...items.map((o) => o.cloneNode(true))), h("input", { class: "comment-text", size: 30, placeholder: t("adoption_comment") })));
  addComment();
  const more = h("button", { class: "secondary", id: "decision-more", type: "button" }, t("adoption_add_comment"));
  more.addEventListener("click", addComment);
  const out = h("div", { id: "decision-out" });
  const save = h("button", { class: "primary", id: "decision-save", type: "button" }, t("adoption_save"));
  save.addEventListener("click", async () => {
    clear(out);
    const said = [...comments.querySelectorAll(".comment-row")].map((row) => ({ item: row.querySelector(".comment-item").value, text: row.querySelector(".comment-text").value.trim() }))
      .filter((c) => c.text);
    save.disabled = true;
    try {
      await post(`${at}/adoption`, { body: f.body.value, decision: f.decision.value, held_on: f.held_on.value, recorded_by: f.recorded_by.value.trim(), comments: said });
      const body = record.bodies.find((b) => b.id === f.body.value);
      sessionStorage.setItem("xinzhi.adoption.msg", t("adoption_saved", { body: body.title, decision: t(`decision_${f.decision.value}`) }));
      reload();
    } catch (err) { out.append(refusal(err)); } finally { save.disabled = false; }
  });
  return h("div", { class: "card stack", id: "decision-form" }, h("h3", {}, t("adoption_form")),
    h("label", {}, t("adoption_body"), f.body), h("label", {}, t("adoption_decision"), f.decision), h("label", {}, t("adoption_held_on"), f.held_on),
    h("label", {}, t("adoption_recorder"), f.recorded_by), h("div", {}, h("span", { class: "muted" }, t("adoption_comments")), comments, more), h("div", {}, save), out);
}
