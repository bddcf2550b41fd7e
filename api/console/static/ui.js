// Small DOM helpers shared by the console's pages (text is always set as text, never as HTML).
import { t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "value" && (tag === "input" || tag === "textarea")) el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== "") el.append(c instanceof Node ? c : String(c));
  return el;
}

// Today as the community lives it (Asia/Shanghai), not the UTC date: "in force" turns at local midnight.
export function shanghaiToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

export function fmtTime(iso) { return iso ? iso.replace("T", " ").slice(0, 16) : ""; }

// A moment as the community's clock shows it (Asia/Shanghai), whatever zone the server wrote it in.
export function fmtShanghai(iso) {
  if (!iso) return "";
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

// The community's own titles of its zones (GET /communities/{c}), loaded when the console opens a community.
export const zoneTitles = {};
export function zoneName(zone) { return zoneTitles[zone] || zone || ""; }

// A tier as the committee named it (诚信良好, 合格户); its id only where it has no title
export function tierName(tier, title) { return title || tier || "-"; }

export function errorBox(text) { return h("div", { class: "msg bad" }, text); }

const sign = (n) => (n > 0 ? `+${n}` : String(n));

/** The awards a ledger page holds for review (by fact and rule): each is said on its award, its hold row left out. */
export function heldAwards(entries) {
  return new Set(entries.filter((e) => e.explanation && e.explanation.holds).map((e) => `${e.explanation.holds.fact_id}|${e.explanation.holds.rule_id}`));
}

/** One ledger entry in plain words: "参加垃圾分类检查合格 +2，本月该项已达上限 10 分". */
export function describeEntry(e, { held = false } = {}) {
  const ex = e.explanation || {};
  if (held) return t("entry_held", { summary: `${ex.rule_title || e.rule_id} ${sign(e.amount)}` });
  if (e.kind === "award" || e.kind === "deduction") {
    let text = `${ex.rule_title || e.rule_id || ""} ${sign(e.amount)}`;
    if (e.limited_by) {
      const [scope, period] = e.limited_by.split(":")[0] === "category" ? ["scope_category", e.limited_by.split("/").pop()] : ["scope_rule", e.limited_by.split("/").pop()];
      const max = ex.limit_max ?? "";
      text += `，${t("limit_reached", { scope: t(scope), max, period: t(`period_${period}`) })}`;
      if (e.raw_amount !== e.amount) text += t("raw_was", { raw: sign(e.raw_amount) });
    }
    return text;
  }
  // held for review, released, reversed: said once, with the award's own sign (not "调整 −5 … +5")
  if (ex.holds) return t("entry_held", { summary: `${ex.rule_title || ex.holds.rule_id} ${sign(-e.amount)}` });
  if (ex.releases) return t("entry_released", { summary: ex.summary.replace(/^议事会审核通过:\s*/, "") });
  if (ex.reverses) return t("entry_reversed", { seq: ex.reverses, amount: sign(e.amount), reason: ex.reason || "" });
  const kind = { redemption: "kind_redemption", refund: "kind_refund", expiry: "kind_expiry", adjustment: "kind_adjustment",
                 reset: "kind_reset", restatement: "kind_restatement" }[e.kind];
  if (ex.summary && kind && e.kind !== "adjustment") return ex.summary;  // the server's sentence says it all
  return `${kind ? t(kind) : e.kind} ${sign(e.amount)}${ex.summary ? ` — ${ex.summary}` : ""}`;
}
