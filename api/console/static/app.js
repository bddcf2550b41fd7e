// The console: sign in with a token, then the pages of the token's roles (hash routes).
import { api, ApiError, clearToken, download, get, post, setToken, token } from "./api.js";
import { lang, setLang, t } from "./i18n.js";
import { editorPage } from "./editor.js";
import { whatifPage } from "./whatif.js";
import { adoptionPage, cataloguePage, shareControl, upstreamPage } from "./catalogue.js";
import { h, clear, fmtShanghai, fmtTime, zoneName, zoneTitles, describeEntry, errorBox, heldAwards, shanghaiToday, tierName } from "./ui.js";

const view = document.getElementById("view");
const state = { me: null, community: "yihe", communities: [] };

const PAGES = [
  { id: "rulesets", label: "nav_rulesets", roles: ["committee"] },
  { id: "catalogue", label: "nav_catalogue", roles: ["committee", "staff"] },
  { id: "whatif", label: "nav_whatif", roles: ["committee"] },
  { id: "residents", label: "nav_residents", roles: ["staff", "committee"] },
  { id: "counter", label: "nav_counter", roles: ["staff"] },
  { id: "council", label: "nav_council", roles: ["staff"] },
  { id: "reviews", label: "nav_reviews", roles: ["committee"] },
  { id: "mine", label: "nav_mine", roles: ["resident"] },
];

// crypto.randomUUID exists only on https or localhost; a phone on the office's LAN (plain http) has getRandomValues
function randomUuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function allowed(page) {
  if (page.id === "mine" && !(state.me && state.me.resident)) return false;  // e.g. XINZHI_AUTH=off: no "own" resident
  return !!state.me && page.roles.some((r) => state.me.roles.includes(r));
}
const base = () => `/communities/${encodeURIComponent(state.community)}`;

function renderChrome() {
  document.title = t("app_title");
  document.getElementById("app-title").textContent = t("app_title");
  document.getElementById("lang").textContent = t("lang_switch");
  const out = document.getElementById("signout");
  out.textContent = t("sign_out");
  out.hidden = !state.me;
  const nav = clear(document.getElementById("nav"));
  const current = location.hash.replace(/^#\/?/, "").split("/")[0];
  for (const page of PAGES.filter(allowed)) {
    nav.append(h("a", { href: `#/${page.id}`, id: `nav-${page.id}`, class: current === page.id ? "active" : "" }, t(page.label)));
  }
  nav.append(h("a", { href: `/console/board?community=${encodeURIComponent(state.community)}`, id: "nav-board", target: "_blank" }, t("nav_board")));
  const who = clear(document.getElementById("who"));
  if (state.me) {
    who.append(`${t("roles")}: ${state.me.roles.map((r) => t(`role_${r}`)).join("、")}`,
      state.me.resident ? ` · ${state.me.resident}` : "", ` · ${t("community")} `, communityControl());
  }
}

const LIST_OF = { resident: "residents", household: "residents", case: "council", editor: "rulesets", adoption: "rulesets", upstream: "rulesets" };

// A token of every community chooses the one it works on (kept in this tab); a scoped one shows its own by name.
function communityControl() {
  const named = (c) => (c.name && c.name !== c.id ? `${c.name}（${c.id}）` : c.id);
  if (state.communities.length < 2) {
    const own = state.communities.find((c) => c.id === state.community);
    return h("span", { id: "community" }, own ? named(own) : state.community);
  }
  const select = h("select", { id: "community", "aria-label": t("community") },
    ...state.communities.map((c) => h("option", { value: c.id, ...(c.id === state.community ? { selected: "" } : {}) }, named(c))));
  select.addEventListener("change", async () => {
    state.community = select.value;
    sessionStorage.setItem("xinzhi.community", state.community);
    await loadZones();
    // a resident, household or case of the other community is not in this one: its list instead (found by use)
    const [page] = location.hash.replace(/^#\/?/, "").split("/");
    const list = `#/${LIST_OF[page] || page}`;
    if (location.hash !== list) location.hash = list;  // routed on hashchange
    else { renderChrome(); route(); }
  });
  return select;
}

async function signIn(value) {
  setToken(value.trim());
  try {
    state.me = await get("/console/api/me");
  } catch (err) {
    clearToken();
    state.me = null;
    throw err;
  }
  try {  // a token of one community reads its own (a resident's may not list communities)
    state.communities = state.me.community ? [await get(`/communities/${encodeURIComponent(state.me.community)}`)] : await get("/communities");
  } catch (err) { state.communities = []; }
  const kept = state.me.community || sessionStorage.getItem("xinzhi.community");
  const known = state.communities.map((c) => c.id);
  if (kept && (state.me.community || known.includes(kept))) state.community = kept;
  else if (known.length && !known.includes(state.community)) state.community = known[0];
  await loadZones();
}

async function loadZones() {
  for (const key of Object.keys(zoneTitles)) delete zoneTitles[key];
  try {
    for (const z of (await get(`/communities/${state.community}`)).zones || []) zoneTitles[z.id] = z.title;
  } catch (err) { /* a community that declares no zones shows their ids */ }
}

function signInPage() {
  const input = h("textarea", { id: "token", rows: 2, cols: 60, placeholder: "xz_…" });
  const msg = h("div", { id: "signin-error" });
  const button = h("button", { id: "signin", class: "primary", type: "button" }, t("signin_button"));
  button.addEventListener("click", async () => {
    clear(msg);
    try {
      await signIn(input.value);
      const first = PAGES.find(allowed);
      location.hash = first ? `#/${first.id}` : "#/";
      route();
    } catch (err) {
      msg.append(h("div", { class: "msg bad" }, err.status === 401 ? t("signin_bad") : err.message));
    }
  });
  return h("div", { class: "card", id: "signin-card" }, h("h2", {}, t("signin_title")), h("p", { class: "muted" }, t("signin_hint")),
    input, h("div", { class: "row" }, button), msg);
}

// ---- rulesets list ----
async function rulesetsPage() {
  const [rows, community] = await Promise.all([get(`${base()}/rulesets`), get(base())]);
  const inForce = inForceVersions(rows);
  const bodies = (community.bodies || []).length > 0;  // the versions' adoption by them is a page of its own
  const table = h("table", { id: "rulesets" }, h("tr", {}, ...["title", "version", "status", "effective_from", ""].map((k) => h("th", {}, k ? t(k) : ""))));
  for (const r of rows.sort((a, b) => a.id.localeCompare(b.id) || b.version - a.version)) {
    const force = inForce[r.id] === r.version;
    const link = (page, label, cls) => [" ", h("a", { href: `#/${page}/${encodeURIComponent(r.id)}/${r.version}`, class: cls }, t(label))];
    const actions = h("td", {}, h("a", { href: `#/editor/${r.id}/${r.version}`, class: "open-version" }, t("open")),
      ...(r.extends ? link("upstream", "upstream", "open-upstream") : []), ...(bodies ? link("adoption", "adoption", "open-adoption") : []));
    table.append(h("tr", {},
      h("td", {}, `${r.title} `, h("span", { class: "muted" }, r.id)),
      h("td", {}, `v${r.version}`),
      h("td", {}, h("span", { class: `pill ${r.status}` }, t(`status_${r.status}`)), force ? h("span", { class: "pill published" }, t("in_force")) : ""),
      h("td", {}, r.effective_from + (r.effective_to ? ` – ${r.effective_to}` : "")),
      actions));
    if (r.status === "published") {
      const share = shareControl(pageContext(), r);
      actions.append(" ", share.button);
      table.append(h("tr", { class: "share-row" }, h("td", { colspan: 5 }, share.panel)));
    }
  }
  return h("div", { class: "card" }, h("h2", {}, t("rulesets_title")), table);
}

export function inForceVersions(rows) {
  const today = shanghaiToday();
  const out = {};
  for (const r of rows.filter((x) => x.status === "published" && x.effective_from <= today && (!x.effective_to || today <= x.effective_to))) {
    const best = rows.find((x) => x.id === r.id && x.version === out[r.id]);
    if (!best || r.effective_from > best.effective_from || (r.effective_from === best.effective_from && r.version > best.version)) out[r.id] = r.version;
  }
  return out;
}

// ---- residents ----
async function residentsPage() {
  const all = [];
  for (let offset = 0; ; offset += 500) {
    const page = await get(`${base()}/residents?limit=500&offset=${offset}`);
    all.push(...page);
    if (page.length < 500) break;
  }
  const search = h("input", { id: "resident-search", type: "search", placeholder: t("search"), size: 30 });
  const body = h("tbody", {});
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    clear(body);
    for (const r of all.filter((x) => !q || [x.id, x.name, x.household || ""].some((s) => s.toLowerCase().includes(q))).slice(0, 200)) {
      body.append(h("tr", {}, h("td", {}, h("a", { href: `#/resident/${encodeURIComponent(r.id)}` }, r.id)), h("td", {}, r.name),
        h("td", {}, zoneName(r.zone)), h("td", {}, r.household ? h("a", { href: `#/household/${encodeURIComponent(r.household)}` }, r.household) : "")));
    }
  };
  search.addEventListener("input", draw);
  draw();
  const files = await spreadsheetsCard();
  const roster = may("staff") ? rosterCard(h("div", { id: "roster-status" })) : "";  // residents are registered by staff
  return h("div", {}, files, roster, h("div", { class: "card" }, h("h2", {}, t("residents_title")), h("div", { class: "row" }, search, h("span", { class: "muted" }, `${all.length}`)),
    h("table", { id: "residents" }, h("thead", {}, h("tr", {}, ...["resident_id", "name", "zone", "household"].map((k) => h("th", {}, t(k))))), body)));
}

// ---- spreadsheets: exports, fact templates, the file import (downloads carry the token: api.js download) ----
const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const may = (...roles) => roles.some((r) => state.me.roles.includes(r));

// A button that saves what `target()` names ([path, file name]); says "downloaded" or why not in `status`.
function downloadButton(label, id, target, status) {
  const button = h("button", { class: "secondary download", id, type: "button" }, label);
  button.addEventListener("click", async () => {
    clear(status);
    const [path, filename] = target();
    button.disabled = true;
    try {
      await download(path, filename);
      status.append(h("div", { class: "msg ok download-ok" }, t("downloaded", { file: filename })));
    } catch (err) {
      status.append(problemBox(err));
    } finally { button.disabled = false; }
  });
  return button;
}

// The fact types of the standard in force (the one the templates are made from), by title.
async function factTypes() {
  const board = await get(`${base()}/board?top=1`);
  if (!board.ruleset) return [];
  const at = board.ruleset.lastIndexOf("@");
  const version = await get(`${base()}/rulesets/${encodeURIComponent(board.ruleset.slice(0, at))}/versions/${board.ruleset.slice(at + 1)}`);
  return version.resolved.fact_types || [];
}

async function spreadsheetsCard() {
  const c = state.community;
  const status = h("div", { id: "files-status" });
  const exports = h("div", { class: "files-row", id: "exports" },
    h("span", { class: "files-label" }, t("export_scores")),
    downloadButton(t("excel"), "scores-xlsx", () => [`${base()}/scores.xlsx`, `${c}-scores.xlsx`], status),
    downloadButton(t("csv"), "scores-csv", () => [`${base()}/scores.csv`, `${c}-scores.csv`], status),
    h("span", { class: "files-label" }, t("export_ledger")),
    downloadButton(t("excel"), "ledger-xlsx", () => [`${base()}/ledger.xlsx`, `${c}-ledger.xlsx`], status),
    downloadButton(t("csv"), "ledger-csv", () => [`${base()}/ledger.csv`, `${c}-ledger.csv`], status));
  const types = await factTypes();
  const kind = h("select", { id: "template-type" }, ...types.map((f) => h("option", { value: f.id }, f.title || f.id)));
  const template = (ext) => () => [`${base()}/facts/template.${ext}?type=${encodeURIComponent(kind.value)}`, `${c}-${kind.value}-template.${ext}`];
  const templates = types.length
    ? h("div", { class: "files-row", id: "templates" }, h("label", {}, t("fact_template"), kind),
      downloadButton(t("template_excel"), "template-xlsx", template("xlsx"), status),
      downloadButton(t("template_csv"), "template-csv", template("csv"), status))
    : h("p", { class: "muted", id: "templates" }, t("no_standard_in_force"));
  const card = h("div", { class: "card", id: "spreadsheets" }, h("h2", {}, t("spreadsheets_title")), exports, templates, status);
  if (may("staff")) card.append(importForm());  // facts are written by staff
  return card;
}

function importForm() {
  const skip = h("input", { type: "checkbox", id: "import-skip" });
  return uploadForm("import", {
    title: t("import_title"), hint: t("import_hint"), option: h("label", {}, skip, t("import_skip")), what: "import_fact",
    send: (chosen, type) => api("POST", `${base()}/facts/import?skip_bad_rows=${skip.checked}&name=${encodeURIComponent(chosen.name)}`,
      { text: chosen, contentType: type }),
    told: (r, chosen) => [h("div", { class: r.skipped ? "msg bad" : "msg ok", id: "import-done" },
      t("import_done", { file: chosen.name, rows: r.rows, scored: r.scored, duplicates: r.duplicates, skipped: r.skipped }),
      r.ignored ? t("import_ignored", { n: r.ignored }) : "", r.restated.length ? t("import_restated", { n: r.restated.length }) : ""),
    r.errors.length ? rowProblems("import", r.errors, "import_fact") : ""],
    refused: (err, chosen) => err.code === "facts_rejected" && t("import_refused", { file: chosen.name, n: err.body.errors_total || err.errors.length }),
  });
}

// A roster (花名册) the office keeps in Excel: a blank one to fill in, and the filled one registered, all rows or none.
function rosterCard(status) {
  const c = state.community;
  return h("div", { class: "card", id: "roster" }, h("h2", {}, t("roster_title")),
    h("div", { class: "files-row", id: "roster-templates" }, h("span", { class: "files-label" }, t("roster_template")),
      downloadButton(t("template_excel"), "roster-template-xlsx", () => [`${base()}/residents/template.xlsx`, `${c}-residents-template.xlsx`], status),
      downloadButton(t("template_csv"), "roster-template-csv", () => [`${base()}/residents/template.csv`, `${c}-residents-template.csv`], status)),
    status,
    uploadForm("roster", {
      hint: t("roster_hint"), what: "roster_column",
      send: (chosen, type) => api("POST", `${base()}/residents/import?name=${encodeURIComponent(chosen.name)}`, { text: chosen, contentType: type }),
      told: (r, chosen) => {
        const reload = h("button", { class: "secondary", id: "roster-reload", type: "button" }, t("roster_reload"));
        reload.addEventListener("click", () => route());
        return [h("div", { class: "msg ok", id: "roster-done" }, t("roster_done", { file: chosen.name, rows: r.rows, added: r.added, updated: r.updated })), reload];
      },
      refused: (err) => err.errors.some((e) => e.row) && err.message,
    }));
}

// A CSV or Excel file sent by `send`; what it did said by `told`; a refusal (`refused` says its words) lists its bad rows.
function uploadForm(prefix, { title, hint, option, what, send, told, refused }) {
  // the browser's own file field speaks the browser's language: a button of ours opens it, and says what was chosen
  const file = h("input", { type: "file", id: `${prefix}-file`, hidden: true, accept: `.csv,.xlsx,text/csv,${XLSX_TYPE}` });
  const pick = h("button", { class: "secondary", id: `${prefix}-pick`, type: "button" }, t("import_pick"));
  const picked = h("span", { id: `${prefix}-name`, class: "muted" }, t("import_none"));
  pick.addEventListener("click", () => file.click());
  file.addEventListener("change", () => { picked.textContent = file.files[0] ? file.files[0].name : t("import_none"); });
  const go = h("button", { class: "primary", id: `${prefix}-go`, type: "button" }, t("import_go"));
  const out = h("div", { id: `${prefix}-out` });
  go.addEventListener("click", async () => {
    clear(out);
    const chosen = file.files[0];
    if (!chosen) { out.append(errorBox(t("import_choose"))); return; }
    go.disabled = true;
    try {
      out.append(...told(await send(chosen, /\.xlsx$/i.test(chosen.name) ? XLSX_TYPE : "text/csv"), chosen));
    } catch (err) {
      const words = refused(err, chosen);
      if (words && err.errors.length) out.append(h("div", { class: "msg bad", id: `${prefix}-refused` }, words), rowProblems(prefix, err.errors, what));
      else out.append(problemBox(err));
    } finally { go.disabled = false; }
  });
  return h("div", { id: prefix }, title ? h("h3", {}, title) : "", h("p", { class: "muted" }, hint),
    h("div", { class: "files-row" }, pick, picked, file), h("div", { class: "files-row" }, option || "", go), out);
}

// Each bad row of a file: the row a clerk sees in the sheet (the header is row 1), the fact or column, what is wrong.
function rowProblems(prefix, problems, what) {
  const table = h("table", { id: `${prefix}-errors` }, h("tr", {}, ...["import_row", what, "import_problem"].map((k) => h("th", {}, t(k)))));
  for (const p of problems) {
    table.append(h("tr", { "data-row": p.row ?? "" }, h("td", {}, p.row ? t("row_n", { row: p.row }) : "—"), h("td", {}, p.fact_id || p.path || ""), h("td", {}, p.message)));
  }
  return table;
}

async function residentPage(id) {
  let score;
  try {
    score = await get(`${base()}/residents/${encodeURIComponent(id)}/score`);
  } catch (err) {
    if (err.status === 404) return h("div", { class: "card", id: "resident-missing" }, h("div", { class: "msg bad" }, t("not_found_resident", { id })));
    throw err;
  }
  const [ledger, board] = await Promise.all([get(`${base()}/residents/${encodeURIComponent(id)}/ledger?newest_first=true&limit=100`),
    get(`${base()}/board?top=1`)]);
  const cats = h("table", { id: "categories" }, h("tr", {}, ...["category", "index", "points", "entries"].map((k) => h("th", {}, t(k)))));
  for (const c of score.categories) cats.append(h("tr", {}, h("td", {}, c.title || c.category), h("td", {}, c.index), h("td", {}, c.points), h("td", {}, c.entries)));
  const exp = score.expiring.length ? h("table", { id: "expiring" }, h("tr", {}, h("th", {}, t("expires_on")), h("th", {}, t("points"))),
    ...score.expiring.map((e) => h("tr", {}, h("td", {}, e.expires_on), h("td", {}, e.points)))) : h("p", { class: "muted" }, t("nothing_expiring"));
  const titles = Object.fromEntries(score.categories.map((c) => [c.category, c.title || c.category]));
  const led = h("table", { id: "ledger" }, h("tr", {}, ...["when", "category", "amount", "explanation"].map((k) => h("th", {}, t(k)))));
  const holds = heldAwards(ledger.entries);
  const shown = new Set(ledger.entries.filter((x) => x.kind === "award").map((x) => `${x.fact_id}|${x.rule_id}`));
  const holdOfShown = (x) => x.explanation && x.explanation.holds && shown.has(`${x.explanation.holds.fact_id}|${x.explanation.holds.rule_id}`);
  for (const e of ledger.entries.filter((x) => !holdOfShown(x))) {
    const held = e.kind === "award" && holds.has(`${e.fact_id}|${e.rule_id}`);
    const amount = (e.amount > 0 ? "+" : "") + e.amount;
    led.append(h("tr", { class: held ? "held" : "" }, h("td", {}, fmtTime(e.occurred_at)), h("td", {}, titles[e.category] || e.category || ""),
      h("td", { class: held ? "muted" : e.amount < 0 ? "bad" : "ok" }, held ? `(${amount})` : amount), h("td", { class: "explain" }, describeEntry(e, { held }))));
  }
  return h("div", { id: "resident-page" },
    h("div", { class: "card" }, h("h2", {}, `${score.name}（${score.resident}）`),
      h("p", { class: "muted" }, `${zoneName(score.zone)} · `, score.household ? h("a", { href: `#/household/${encodeURIComponent(score.household)}` }, `${t("household")} ${score.household}`) : "", ` · ${(board.ruleset === score.ruleset && board.ruleset_title) || score.ruleset || ""} · ${score.as_of}`),
      h("div", { class: "stats" }, stat(t("index"), score.index, "stat-index"), stat(t("points"), score.points, "stat-points"), stat(t("tier"), tierName(score.tier, score.tier_title), "stat-tier"))),
    h("div", { class: "grid2" }, h("div", { class: "card" }, h("h3", {}, t("ledger")), ledgerDownloads(score.resident), led),
      h("div", {}, publicityCard(board.publicity), h("div", { class: "card" }, h("h3", {}, t("categories")), cats),
        h("div", { class: "card" }, h("h3", {}, t("expiring")), exp))));
}

// The resident's whole ledger as a file: Excel for staff and the committee, CSV for everyone who sees the page.
function ledgerDownloads(resident) {
  const status = h("div", { id: "ledger-files-status" });
  const name = `${state.community}-${resident}-ledger`;
  const q = encodeURIComponent(resident);
  return h("div", { id: "ledger-files" }, h("div", { class: "files-row" }, h("span", { class: "files-label" }, t("download_ledger")),
    may("staff", "committee") ? downloadButton(t("excel"), "resident-ledger-xlsx", () => [`${base()}/ledger.xlsx?resident=${q}`, `${name}.xlsx`], status) : "",
    downloadButton(t("csv"), "resident-ledger-csv", () => [`${base()}/residents/${q}/ledger.csv`, `${name}.csv`], status)), status);
}

// The community's 公示, with a way to object to each notice (residents and staff may; the committee decides).
function publicityCard(notices) {
  const card = h("div", { class: "card", id: "publicity" }, h("h3", {}, t("publicity_title")));
  if (!notices.length) {
    card.append(h("p", { class: "muted" }, t("publicity_none")));
    return card;
  }
  const mayObject = ["resident", "staff"].some((r) => state.me.roles.includes(r));
  for (const n of notices) {
    const item = h("div", { class: "notice", "data-notice": n.notice },
      h("div", {}, h("b", {}, `#${n.notice} `), `${n.name} · ${n.rule} `, h("b", { class: "ok" }, `+${n.amount}`)),
      h("div", { class: "muted" }, t("publicity_until", { time: fmtShanghai(n.objections_until) })));
    if (mayObject) item.append(objectionForm(n.notice));
    card.append(item);
  }
  return card;
}

function objectionForm(notice) {
  const out = h("div", { class: "objection-out" });
  const open = h("button", { class: "secondary object", type: "button" }, t("object"));
  const reason = h("textarea", { class: "object-reason", rows: 3, maxlength: 2000, placeholder: t("object_reason") });
  const send = h("button", { class: "primary object-send", type: "button" }, t("object_send"));
  const cancel = h("button", { class: "secondary object-cancel", type: "button" }, t("object_cancel"));
  const form = h("div", { class: "stack objection-form", hidden: true }, reason, h("div", { class: "row" }, send, cancel));
  open.addEventListener("click", () => { form.hidden = false; open.hidden = true; reason.focus(); });
  cancel.addEventListener("click", () => { form.hidden = true; open.hidden = false; clear(out); });
  send.addEventListener("click", async () => {
    clear(out);
    try {
      const filed = await post(`${base()}/objections`, { notice, reason: reason.value.trim() });
      form.hidden = true;
      out.append(h("div", { class: "msg ok objection-filed" }, t("objection_filed", { notice, seq: filed.seq })));
    } catch (err) { out.append(problemBox(err)); }
  });
  return h("div", {}, open, form, out);
}

function stat(label, value, id) { return h("div", { class: "stat", id }, h("span", { class: "muted" }, label), h("b", {}, String(value))); }

async function householdPage(id) {
  const hh = await get(`${base()}/households/${encodeURIComponent(id)}`);
  if (hh.held_by === "household") return householdAccountPage(id, hh);
  const table = h("table", { id: "members" }, h("tr", {}, ...["resident_id", "name", "index", "points", "tier"].map((k) => h("th", {}, t(k)))));
  for (const m of hh.members) table.append(h("tr", {}, h("td", {}, h("a", { href: `#/resident/${encodeURIComponent(m.resident)}` }, m.resident)),
    h("td", {}, m.name), h("td", {}, m.index), h("td", {}, m.points), h("td", {}, tierName(m.tier, m.tier_title))));
  return h("div", { class: "card" }, h("h2", {}, t("household_title", { id })),
    h("div", { class: "stats" }, stat(t("index_total"), hh.index_total), stat(t("index_average"), hh.index_average), stat(t("points_total"), hh.points_total)), table);
}

// Where households hold the accounts (户积分): the one account, and what each member's deeds moved in it.
function householdAccountPage(id, hh) {
  const a = hh.account;
  const table = h("table", { id: "contributions" }, h("tr", {}, ...["resident_id", "name", "moved_index", "moved_points", "entries"].map((k) => h("th", {}, t(k)))));
  for (const c of hh.contributions) {
    const who = c.resident ? h("a", { href: `#/resident/${encodeURIComponent(c.resident)}` }, c.resident) : t("household_own");
    table.append(h("tr", {}, h("td", {}, who), h("td", {}, c.name || ""), h("td", {}, c.index), h("td", {}, c.points), h("td", {}, c.entries)));
  }
  return h("div", { class: "card", id: "household-account" }, h("h2", {}, t("household_title", { id })), h("p", { class: "muted" }, t("household_account")),
    h("div", { class: "stats" }, stat(t("index"), a.index), stat(t("points"), a.points), stat(t("tier"), tierName(a.tier, a.tier_title))), table);
}

// ---- counter ----
async function counterPage(prefill) {
  const input = h("input", { id: "counter-resident", value: prefill || "", size: 12 });
  const out = h("div", { id: "counter-out" });
  const lookup = async () => {
    clear(out);
    const id = input.value.trim();
    if (!id) return;
    try {
      const [score, items] = await Promise.all([get(`${base()}/residents/${encodeURIComponent(id)}/score`), get(`${base()}/shop/items?active=true`)]);
      const msg = h("div", { id: "counter-msg" });
      const table = h("table", { id: "items" }, h("tr", {}, ...["item", "price", "stock", "min_tier", ""].map((k) => h("th", {}, k ? t(k) : ""))));
      const who = `${score.name}（${id}）`;
      for (const it of items) {
        const short = it.price - score.points;  // refused by the shop anyway: said before anyone confirms
        const button = h("button", { class: "primary redeem", "data-item": it.id, type: "button", ...(short > 0 ? { disabled: "" } : {}) },
          short > 0 ? t("redeem_short", { n: short }) : t("redeem"));
        // asked once more before points are spent; the id is fixed when asked, so a double click redeems once
        button.addEventListener("click", () => {
          clear(msg);
          const redemption = randomUuid();
          const yes = h("button", { class: "primary", id: "redeem-yes", type: "button" }, t("redeem_yes"));
          const no = h("button", { class: "secondary", id: "redeem-no", type: "button" }, t("object_cancel"));
          no.addEventListener("click", () => clear(msg));
          yes.addEventListener("click", async () => {
            yes.disabled = true;
            try {
              const r = await post(`${base()}/shop/redemptions`, { id: redemption, resident: id, item: it.id });
              sessionStorage.setItem("xinzhi.counter.msg", JSON.stringify({ id: r.id, text: t("redeemed", { resident: who, item: r.item_title || it.title, points: r.points, after: r.points_after }) }));
              await lookup();
            } catch (err) {
              clear(msg).append(h("div", { class: "msg bad", id: "redeem-refused" }, t("refused", { reason: (err.code && t(err.code) !== err.code) ? t(err.code) : err.message }), h("div", { class: "muted" }, err.message)));
            }
          });
          msg.append(h("div", { class: "msg", id: "redeem-confirm" }, t("redeem_confirm", { name: score.name, resident: id, item: it.title, points: it.price, after: score.points - it.price }),
            h("div", { class: "row" }, yes, no)));
        });
        table.append(h("tr", {}, h("td", {}, it.title), h("td", {}, it.price), h("td", { class: "stock" }, it.stock ?? "∞"), h("td", {}, it.min_tier || ""), h("td", {}, button)));
      }
      if (!items.length) table.append(h("tr", {}, h("td", { colspan: 5, class: "muted", id: "no-items" }, t("no_items"))));
      const done = JSON.parse(sessionStorage.getItem("xinzhi.counter.msg") || "null");
      if (done) {
        sessionStorage.removeItem("xinzhi.counter.msg");
        const undo = h("button", { class: "secondary", id: "redeem-undo", type: "button" }, t("redeem_undo"));
        undo.addEventListener("click", async () => {  // a redemption made by mistake: refunded and restocked, once
          try {
            await post(`${base()}/shop/redemptions/${encodeURIComponent(done.id)}/cancel`, { reason: t("redeem_undo_reason") });
            sessionStorage.setItem("xinzhi.counter.msg.undone", t("redeem_undone"));
            await lookup();
          } catch (err) { msg.append(problemBox(err)); }
        });
        msg.append(h("div", { class: "msg ok", id: "redeem-ok" }, done.text, " ", undo));
      }
      const undone = sessionStorage.getItem("xinzhi.counter.msg.undone");
      if (undone) { sessionStorage.removeItem("xinzhi.counter.msg.undone"); msg.append(h("div", { class: "msg ok", id: "redeem-undone" }, undone)); }
      out.append(h("p", { id: "counter-balance" }, `${score.name}（${score.resident}）: `, t("balance", { points: score.points, index: score.index, tier: tierName(score.tier, score.tier_title) })), msg, table);
    } catch (err) {
      out.append(errorBox(err.status === 404 ? t("not_found_resident", { id }) : err.message));
    }
  };
  const go = h("button", { class: "primary", id: "counter-lookup", type: "button" }, t("lookup"));
  go.addEventListener("click", lookup);
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") lookup(); });
  if (prefill) lookup();
  return h("div", { class: "card" }, h("h2", {}, t("counter_title")), h("div", { class: "row" }, h("label", {}, t("resident_id"), input), go), out);
}

// ---- council ----
async function councilPage() {
  const [cases, stats] = await Promise.all([get(`${base()}/cases`), get(`${base()}/cases/statistics`)]);
  const f = {
    kind: h("select", { id: "case-kind" }, ...["neighbour_dispute", "parking_space", "water_leak", "noise", "other"].map((k) => h("option", { value: k }, t(`kind_${k}`)))),
    zone: Object.keys(zoneTitles).length
      ? h("select", { id: "case-zone" }, ...Object.entries(zoneTitles).map(([id, title]) => h("option", { value: id }, title)))
      : h("input", { id: "case-zone" }),
    building: h("input", { id: "case-building" }), description: h("textarea", { id: "case-description", rows: 2 }),
    parties: h("input", { id: "case-parties" }), reported_by: h("input", { id: "case-reported-by" }),
  };
  const msg = h("div", { id: "case-msg" });
  const submit = h("button", { class: "primary", id: "case-submit", type: "button" }, t("submit"));
  submit.addEventListener("click", async () => {
    clear(msg);
    try {
      const c = await post(`${base()}/cases`, { kind: f.kind.value, zone: f.zone.value, building: f.building.value || null, description: f.description.value,
        parties: f.parties.value.split(/[,，\s]+/).filter(Boolean), reported_by: f.reported_by.value });
      location.hash = `#/case/${c.id}`;
    } catch (err) { msg.append(problemBox(err, Object.fromEntries(Object.keys(f).map((k) => [k, t(k === "parties" ? "parties_named" : k)])))); }
  });
  const form = h("div", { class: "stack" }, ...Object.entries(f).map(([k, el]) => h("label", {}, t(k === "reported_by" ? "reported_by" : k), el)), submit, msg);
  const list = h("table", { id: "cases" }, h("tr", {}, ...["kind", "zone", "description", "parties_named", "status"].map((k) => h("th", {}, t(k)))));
  for (const c of cases) list.append(h("tr", {}, h("td", {}, h("a", { href: `#/case/${c.id}` }, `${c.id} ${t(`kind_${c.kind}`)}`)), h("td", {}, zoneName(c.zone)),
    h("td", {}, c.description), h("td", {}, c.parties.join("、")), h("td", {}, t(`case_${c.status}`))));
  return h("div", { class: "grid2" }, h("div", { class: "card" }, h("h2", {}, t("cases")), list, h("h3", {}, t("statistics")), statsTable(stats)),
    h("div", { class: "card" }, h("h2", {}, t("report_case")), form));
}

// The council's statistics in words and numbers, not raw JSON.
function statsTable(stats) {
  const pct = (x) => `${Math.round((x || 0) * 1000) / 10}%`;
  const table = h("table", { id: "case-stats" },
    ...[["stat_total", stats.total], ["stat_open", stats.open], ["stat_closed", stats.closed], ["stat_resolution", pct(stats.resolution_rate)],
        ["stat_days", stats.average_days_to_close == null ? "—" : stats.average_days_to_close]]
      .map(([k, v]) => h("tr", {}, h("th", {}, t(k)), h("td", {}, String(v)))),
    ...Object.entries(stats.by_kind || {}).map(([kind, n]) => h("tr", {}, h("th", {}, t(`kind_${kind}`)), h("td", {}, String(n)))));
  return table;
}

const MEMBER_ROLES = ["staff", "property_company", "alley_steward", "resident_representative"];

// One council member to convene: a name, a role said in words, and the resident they are (if one)
function memberRow() {
  return h("div", { class: "row member" }, h("input", { class: "member-name", placeholder: t("member_name"), size: 10 }),
    h("select", { class: "member-role" }, ...MEMBER_ROLES.map((r) => h("option", { value: r }, t(`member_${r}`)))),
    h("input", { class: "member-resident", placeholder: t("member_resident"), size: 8 }));
}

async function casePage(id) {
  const c = await get(`${base()}/cases/${encodeURIComponent(id)}`);
  const names = Object.fromEntries(await Promise.all(c.parties.map(async (p) => {
    try { return [p, (await get(`${base()}/residents/${encodeURIComponent(p)}/score`)).name]; } catch { return [p, ""]; }
  })));
  const named = (p) => (names[p] ? `${names[p]}（${p}）` : p);
  const msg = h("div", { id: "case-msg" });
  const parts = [h("h2", {}, `${t(`kind_${c.kind}`)} · `, h("span", { id: "case-status" }, t(`case_${c.status}`)), " ", h("span", { class: "muted" }, c.id)),
    h("p", {}, `${zoneName(c.zone)} ${c.building || ""} — ${c.description}`), h("p", {}, `${t("parties_named")}: ${c.parties.map(named).join("、")}`)];
  if (c.members.length) parts.push(h("p", {}, `${t("members")}: ${c.members.map((m) => `${m.name}（${t(`member_${m.role}`)}${m.resident ? " " + m.resident : ""}）`).join("、")}`));
  if (c.status === "reported") {
    const members = h("div", { id: "convene-members", class: "stack" }, memberRow(), memberRow());
    const more = h("button", { class: "secondary", id: "add-member", type: "button" }, t("add_member"));
    more.addEventListener("click", () => members.append(memberRow()));
    const button = h("button", { class: "primary", id: "convene", type: "button" }, t("convene"));
    button.addEventListener("click", async () => {
      try {
        const list = [...members.querySelectorAll(".member")].map((row) => ({
          name: row.querySelector(".member-name").value.trim(), role: row.querySelector(".member-role").value,
          resident: row.querySelector(".member-resident").value.trim() })).filter((m) => m.name)
          .map(({ resident, ...m }) => (resident ? { ...m, resident } : m));
        await post(`${base()}/cases/${encodeURIComponent(id)}/convene`, { members: list });
        route();
      } catch (err) { clear(msg).append(problemBox(err)); }
    });
    parts.push(h("h3", {}, t("convene")), h("p", { class: "muted" }, t("members_hint")), members, h("div", { class: "row" }, more, button));
  } else if (c.status === "convened") {
    const outcome = h("input", { id: "close-outcome", class: "wide" });
    const sats = c.parties.map((p) => [p, h("select", { class: "satisfaction", "data-party": p }, ...[5, 4, 3, 2, 1].map((n) => h("option", { value: n }, String(n))))]);
    const button = h("button", { class: "primary", id: "close", type: "button" }, t("close_case"));
    button.addEventListener("click", async () => {
      try {
        const closed = await post(`${base()}/cases/${encodeURIComponent(id)}/close`, { outcome: outcome.value, satisfaction: Object.fromEntries(sats.map(([p, s]) => [p, Number(s.value)])) });
        sessionStorage.setItem("xinzhi.case.msg", t("case_closed_ok", { id, n: closed.awards.length }));
        sessionStorage.setItem(`xinzhi.case.awards.${id}`, JSON.stringify(closed.awards));
        route();
      } catch (err) { clear(msg).append(problemBox(err, { outcome: t("outcome"), satisfaction: t("satisfaction") })); }
    });
    parts.push(h("h3", {}, t("close_case")), h("div", { class: "stack" }, h("label", {}, t("outcome"), outcome)), h("p", {}, t("satisfaction")),
      ...sats.map(([p, s]) => h("div", { class: "row" }, h("label", {}, named(p), s))), h("div", { class: "row" }, button));
  } else {
    const done = sessionStorage.getItem("xinzhi.case.msg");
    if (done) { sessionStorage.removeItem("xinzhi.case.msg"); parts.push(h("div", { class: "msg ok", id: "case-closed-msg" }, done)); }
    parts.push(h("p", {}, `${t("outcome")}: ${c.outcome}`), h("p", {}, `${t("satisfaction")}: ${Object.entries(c.satisfaction || {}).map(([k, v]) => `${named(k)} ${v}`).join("、")}`));
    const awards = h("table", { id: "case-awards" }, h("tr", {}, ...["resident", "rule", "amount"].map((k) => h("th", {}, t(k)))));
    const given = c.awards && c.awards.length ? c.awards : JSON.parse(sessionStorage.getItem(`xinzhi.case.awards.${id}`) || "[]");
    for (const a of given) for (const e of a.entries || [a]) awards.append(h("tr", {}, h("td", {}, named(e.resident || a.resident || "")), h("td", {}, (e.explanation && e.explanation.rule_title) || e.rule_id || ""), h("td", {}, e.amount ?? "")));
    parts.push(h("h3", {}, t("awards")), awards);
  }
  parts.push(msg);
  return h("div", { class: "card", id: "case-page" }, ...parts);
}

// ---- reviews ----
async function reviewsPage() {
  const [reviews, objections] = await Promise.all([get(`${base()}/reviews?status=pending`), get(`${base()}/objections`)]);
  const rt = h("table", { id: "reviews" }, h("tr", {}, ...["notice", "resident", "rule", "amount", ""].map((k) => h("th", {}, k ? t(k) : ""))));
  for (const r of reviews) {
    const act = (decision) => { const b = h("button", { class: `secondary ${decision}`, "data-notice": r.notice, type: "button" }, t(decision)); b.addEventListener("click", async () => { await post(`${base()}/reviews/${r.notice}`, { decision }); route(); }); return b; };
    rt.append(h("tr", {}, h("td", {}, r.notice), h("td", {}, r.resident), h("td", {}, r.rule_title), h("td", {}, r.amount), h("td", {}, act("approve"), " ", act("reject"))));
  }
  const ot = h("table", { id: "objections" }, h("tr", {}, ...["notice", "reason", "status", ""].map((k) => h("th", {}, k ? t(k) : ""))));
  for (const o of objections) {
    const cell = h("td", {});
    if (o.status === "open") {
      const resolution = h("input", { placeholder: t("resolution"), size: 16 });
      const decide = (decision) => {
        const b = h("button", { class: `secondary ${decision}`, "data-objection": o.seq, type: "button" }, t(decision));
        b.addEventListener("click", async () => {
          try { await post(`${base()}/objections/${o.seq}`, { decision, resolution: resolution.value }); route(); } catch (err) { cell.append(problemBox(err)); }
        });
        return b;
      };
      cell.append(resolution, " ", decide("upheld"), " ", decide("dismissed"));
    } else cell.append(o.resolution || "");
    ot.append(h("tr", {}, h("td", {}, o.notice), h("td", {}, o.reason), h("td", {}, t(`objection_${o.status}`)), cell));
  }
  return h("div", {}, h("div", { class: "card" }, h("h2", {}, t("reviews")), reviews.length ? rt : h("p", { class: "muted" }, t("none"))),
    h("div", { class: "card" }, h("h2", {}, t("objections")), objections.length ? ot : h("p", { class: "muted" }, t("none"))));
}

// A refusal's field said by the label its form shows (「上报人」, not 「reported_by」): only the fields of the form that
// sent it (``labels``: key → label), never a key of the user's own text that happens to be a word of the console
function labelled(text, path, labels) {
  const key = String(path || "").split(/[.[\]]/).filter(Boolean).pop();
  return key && Object.hasOwn(labels, key) ? String(text).replaceAll(`「${key}」`, `「${labels[key]}」`) : text;
}

export function problemBox(err, labels = {}) {
  const errors = err.errors || [];
  const box = h("div", { class: "msg bad" }, errors.length === 1 ? labelled(err.message, errors[0].path, labels) : err.message);
  if (errors.length) box.append(h("ul", {}, ...errors.map((e) => h("li", {}, labelled(e.message, e.path, labels)))));
  return box;
}

// What the catalogue, upstream and adoption pages (catalogue.js) are given.
const pageContext = () => ({ base: base(), community: state.community, roles: state.me.roles, reload: route });

// ---- routing ----
let routed = 0;  // the latest route: a slower page that arrives after a newer one is dropped, not shown over it

async function route() {
  const mine = ++routed;
  renderChrome();
  if (!state.me) { clear(view).append(signInPage()); return; }
  const [page, ...args] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const pages = {
    rulesets: ["rulesets", () => rulesetsPage()],
    editor: ["rulesets", () => editorPage({ base: base(), ruleset: args[0], version: Number(args[1]), inForceVersions, problemBox })],
    whatif: ["whatif", () => whatifPage({ base: base(), community: state.community })],
    catalogue: ["catalogue", () => cataloguePage(pageContext())],
    upstream: ["rulesets", () => upstreamPage(pageContext(), args[0], Number(args[1]), args[2] ? Number(args[2]) : null)],
    adoption: ["rulesets", () => adoptionPage(pageContext(), args[0], Number(args[1]))],
    residents: ["residents", () => residentsPage()],
    resident: [null, () => residentPage(args[0])],
    household: ["residents", () => householdPage(args[0])],
    counter: ["counter", () => counterPage(args[0])],
    council: ["council", () => councilPage()],
    case: ["council", () => casePage(args[0])],
    reviews: ["reviews", () => reviewsPage()],
    mine: ["mine", () => residentPage(state.me.resident)],
  };
  const entry = pages[page];
  if (!entry) {
    const first = PAGES.find(allowed);
    if (first) { location.hash = `#/${first.id}`; return; }
    clear(view).append(h("p", {}, t("forbidden")));
    return;
  }
  const guard = entry[0] && PAGES.find((p) => p.id === entry[0]);
  if (guard && !allowed(guard)) { clear(view).append(h("div", { class: "msg bad", id: "forbidden" }, t("forbidden"))); return; }
  clear(view).append(h("p", { class: "muted" }, t("loading")));
  try {
    const node = await entry[1]();
    if (mine === routed) clear(view).append(node);
  } catch (err) {
    if (mine !== routed) return;
    clear(view).append(err instanceof ApiError && err.status === 403 ? h("div", { class: "msg bad", id: "forbidden" }, t("forbidden")) : errorBox(`${t("error")}: ${err.message}`));
  }
}

document.getElementById("lang").addEventListener("click", () => { setLang(lang() === "zh" ? "en" : "zh"); route(); });
document.getElementById("signout").addEventListener("click", () => { clearToken(); state.me = null; location.hash = ""; route(); });
window.addEventListener("hashchange", route);

(async () => {
  setLang(lang());
  if (token()) {
    try { await signIn(token()); } catch { /* shown as the sign-in page */ }
  }
  route();
})();
