// The lobby board: public, full screen, refreshing itself (?community=yihe&refresh=60&top=15&lang=en).
// On a phone the same page becomes one scrolling column.
import { chooseLang, lang, t } from "./i18n.js";
import { h, clear, fmtShanghai, zoneName } from "./ui.js";

const params = new URLSearchParams(location.search);
const community = params.get("community") || "yihe";
const refresh = Math.max(5, Number(params.get("refresh") || 60));
const top = Math.min(50, Math.max(1, Number(params.get("top") || 15)));
chooseLang(params.get("lang") || lang());

async function load() {
  const [board, active] = await Promise.all([
    fetch(`/communities/${encodeURIComponent(community)}/board?top=${top}`).then(check),
    fetch(`/console/board-data/${encodeURIComponent(community)}/categories`).then(check),
  ]);
  return { board, active };
}

class NoSuchCommunity extends Error {}

async function check(response) {
  if (response.status === 404) throw new NoSuchCommunity(community);  // a mistyped address, not a network fault
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

function render({ board, active }) {
  document.title = t("board_title", { name: board.name || community });
  document.getElementById("board-title").textContent = t("board_title", { name: board.name || community });
  const meta = clear(document.getElementById("board-meta"));
  meta.append(h("div", {}, t("board_ruleset", { ref: board.ruleset_title || board.ruleset || "-" })), h("div", { id: "board-updated" }, t("board_updated", { time: fmtShanghai(new Date().toISOString()) })));
  const main = clear(document.getElementById("board"));
  for (const zone of board.zones) {
    const tiers = h("div", { class: "tiers" }, ...Object.entries(zone.tiers).map(([tier, n]) => h("span", {}, `${tier} · ${t("board_people", { n })}`)));
    const list = h("ol", {}, ...zone.ranking.map((r) => h("li", {}, h("span", { class: "rank" }, r.rank), h("span", { class: "name" }, r.name),
      h("span", { class: "index" }, r.index), h("span", { class: "tier" }, `${r.tier || ""} ${r.tier_title || ""}`))));
    main.append(h("section", { class: "zone", "data-zone": zone.zone }, h("h2", {}, `${zone.title || zoneName(zone.zone)} · ${t("board_ranking")}`),
      h("h3", {}, t("board_tiers")), tiers, list));
  }
  main.style.setProperty("--zones", board.zones.length);
  const most = Math.max(1, ...active.categories.map((c) => c.entries));
  main.append(h("aside", {}, h("section", { id: "active" }, h("h2", {}, t("board_active")), h("div", { class: "muted" }, active.month),
    ...active.categories.slice(0, 8).map((c) => h("div", { class: "cat" }, h("span", {}, c.title),
      h("div", { class: "bar", style: `width:${Math.round((100 * c.entries) / most)}%` }), h("span", {}, t("board_entries", { n: c.entries }))))),
  publicity(board.publicity, Object.fromEntries(board.zones.map((z) => [z.zone, z.title])))));
  document.body.dataset.loaded = String(Date.now());
}

// Approved awards in their 公示 period: who (masked), for what, until when one may object, and how.
function publicity(notices, zoneTitle) {
  const section = h("section", { id: "publicity" }, h("h2", {}, t("publicity_title")));
  if (!notices.length) {
    section.append(h("p", { class: "muted" }, t("publicity_none")));
    return section;
  }
  section.append(h("ul", {}, ...notices.map((n) => h("li", { class: "notice", "data-notice": n.notice },
    h("span", { class: "rank" }, `#${n.notice}`), h("span", { class: "name" }, `${n.name}${n.zone ? ` · ${zoneTitle[n.zone] || zoneName(n.zone)}` : ""}`),
    h("span", {}, `${n.rule} +${n.amount}`), h("span", { class: "until" }, t("publicity_until", { time: fmtShanghai(n.objections_until) }))))),
  h("p", { class: "muted" }, t("publicity_how")));
  return section;
}

async function tick() {
  const offline = document.getElementById("board-offline");
  try {
    render(await load());
    offline.hidden = true;
  } catch (err) {
    offline.textContent = err instanceof NoSuchCommunity ? t("board_no_community", { community }) : t("board_offline");
    offline.hidden = false;
  }
}

tick();
setInterval(tick, refresh * 1000);
