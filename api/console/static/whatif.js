// What-if: baseline vs candidate (a draft is fine) over a scenario or a recorded period;
// start, watch progress, read the report (its charts) in the page. The last job is remembered in
// the tab, so switching the language (which draws the page again) shows the same report again.
import { api, get, post } from "./api.js";
import { lang, t } from "./i18n.js";
import { h, clear } from "./ui.js";

export async function whatifPage({ base, community }) {
  const remembered = `xinzhi.whatif.${community}`;
  const rows = await get(`${base}/rulesets`);
  const refs = rows.sort((a, b) => a.id.localeCompare(b.id) || a.version - b.version);
  const option = (r) => h("option", { value: r.ref }, `${r.ref} · ${t(`status_${r.status}`)} · ${r.title}`);
  const baseline = h("select", { id: "whatif-baseline" }, ...refs.filter((r) => r.status === "published").map(option));
  const candidate = h("select", { id: "whatif-candidate" }, ...refs.map(option));
  const drafts = refs.filter((r) => r.status === "draft");
  candidate.value = (drafts[drafts.length - 1] || refs[refs.length - 1] || {}).ref || "";
  const kind = h("select", { id: "whatif-kind" }, h("option", { value: "scenario" }, t("whatif_scenario")), h("option", { value: "store" }, t("whatif_store")));
  const residents = h("input", { id: "whatif-residents", type: "number", value: "300", min: 1, size: 6 });
  const months = h("input", { id: "whatif-months", type: "number", value: "6", min: 1, max: 36, size: 4 });
  const seed = h("input", { id: "whatif-seed", type: "number", value: "2021", size: 6 });
  const period = h("input", { id: "whatif-period", placeholder: "2026-Q3, 2026-09, 2026", size: 16 });
  const scenarioBox = h("div", { class: "row" }, h("label", {}, t("residents_n"), residents), h("label", {}, t("months_n"), months), h("label", {}, t("seed"), seed));
  const periodBox = h("div", { class: "row", hidden: true }, h("label", {}, t("whatif_period"), period));
  kind.addEventListener("change", () => { scenarioBox.hidden = kind.value !== "scenario"; periodBox.hidden = kind.value !== "store"; });
  const progress = h("div", { id: "whatif-progress" });
  const report = h("div", { id: "whatif-report" });
  const start = h("button", { class: "primary", id: "whatif-start", type: "button" }, t("start"));
  let timer = null;

  start.addEventListener("click", async () => {
    clearTimeout(timer);
    clear(progress);
    clear(report);
    const source = kind.value === "scenario"
      ? { kind: "scenario", residents: Number(residents.value), months: Number(months.value), seed: Number(seed.value) }
      : { kind: "store", period: period.value.trim() };
    try {
      const job = await post(`${base}/simulations`, { baseline: baseline.value, candidate: candidate.value, source });
      sessionStorage.setItem(remembered, job.id);
      follow(job.id);
    } catch (err) {
      progress.append(h("div", { class: "msg bad" }, err.message, ...(err.errors || []).map((e) => h("div", {}, e.message))));
    }
  });

  async function follow(id) {
    let job;
    try { job = await get(`${base}/simulations/${id}`); } catch (err) {
      if (err.status === 404) { sessionStorage.removeItem(remembered); clear(progress); return; }  // a restarted server forgets its jobs
      clear(progress).append(h("div", { class: "msg bad" }, err.message));
      return;
    }
    clear(progress).append(h("div", {}, `${t("progress")}: `, h("b", { id: "whatif-percent" }, `${job.percent}%`), ` · ${t(`job_${job.status}`)}`),
      h("div", { style: "background:#eef1f5;border-radius:3px" }, h("div", { class: "bar", style: `width:${job.percent}%` })));
    if (job.status === "failed") {
      progress.append(h("div", { class: "msg bad", id: "whatif-failed" }, job.error || "", ...(job.problems || []).map((p) => h("div", {}, p.message))));
    } else if (job.status === "done") {
      const [json, html] = await Promise.all([get(`${base}/simulations/${id}/report.json`), api("GET", `${base}/simulations/${id}/report.html`)]);
      const frame = h("iframe", { id: "whatif-frame", sandbox: "allow-same-origin", title: t("report") });
      report.append(summary(json, job), frame);
      // as tall as the report (no second scroll bar inside the page), again when a narrower screen makes it longer
      const fit = () => { frame.style.height = `${frame.contentDocument.documentElement.scrollHeight + 4}px`; };
      frame.addEventListener("load", () => { fit(); new ResizeObserver(fit).observe(frame.contentDocument.documentElement); });
      frame.srcdoc = html;
    } else {
      timer = setTimeout(() => follow(id), 800);
    }
  }

  const page = h("div", { id: "whatif" }, h("div", { class: "card stack" }, h("h2", {}, t("whatif_title")),
    h("label", {}, t("baseline"), baseline), h("label", {}, t("candidate"), candidate), h("label", {}, t("whatif_source"), kind),
    scenarioBox, periodBox, h("div", {}, start), progress), report);
  const last = sessionStorage.getItem(remembered);
  if (last) follow(last);
  return page;
}

// A total's name: the report's own (Chinese) title, or the console's English one.
function metricTitle(row) {
  const key = `whatif_total_${row.metric}`;
  return lang() === "en" && t(key) !== key ? t(key) : row.title || row.metric;
}

function summary(report, job) {
  const table = h("table", { id: "whatif-totals" }, h("tr", {}, ...["whatif_metric", "baseline", "candidate", "whatif_delta"].map((k) => h("th", {}, t(k)))));
  for (const r of report.totals || []) {
    table.append(h("tr", { "data-metric": r.metric }, h("td", {}, metricTitle(r)), h("td", {}, String(r.baseline)), h("td", {}, String(r.candidate)),
      h("td", { class: r.delta > 0 ? "ok" : r.delta < 0 ? "bad" : "" }, (r.delta > 0 ? "+" : "") + r.delta)));
  }
  return h("div", { class: "card" }, h("h3", {}, `${t("report")}: ${job.baseline} → ${job.candidate}`), table);
}
