// Careful text edits of a ruleset's YAML for the form view: replace or insert one key of one
// rule (award, limits, enabled), leaving every other line, comment and blank line as it was.

const PLAIN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

/** A value in YAML flow style: {points: 2, per: hours}, [{period: month, max: 10}]. */
export function flow(value) {
  if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`;
  if (value && typeof value === "object") {
    return `{${Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${key(k)}: ${flow(v)}`).join(", ")}}`;
  }
  if (typeof value === "string") return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
  return String(value);
}

function key(k) { return /^-?\d+$/.test(k) || (PLAIN.test(k) && !RESERVED.test(k)) ? k : JSON.stringify(k); }

const indentOf = (line) => line.length - line.trimStart().length;
const blank = (line) => line.trim() === "" || line.trim().startsWith("#");

/** Where rule ``id`` is written in block style: {start, end, prop} (end exclusive), or null. */
export function findRule(lines, id) {
  const rules = lines.findIndex((l) => /^rules:\s*(#.*)?$/.test(l));
  if (rules < 0) return null;
  const esc = id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const head = new RegExp(`^(\\s*)-\\s+id:\\s*["']?${esc}["']?\\s*(#.*)?$`);
  for (let i = rules + 1; i < lines.length; i++) {
    if (!blank(lines[i]) && indentOf(lines[i]) === 0) break;
    const m = head.exec(lines[i]);
    if (!m) continue;
    const dash = m[1].length;
    let end = i + 1;
    while (end < lines.length && (blank(lines[end]) || indentOf(lines[end]) > dash)) end++;
    while (end > i + 1 && lines[end - 1].trim() === "") end--;
    return { start: i, end, prop: dash + 2 };
  }
  return null;
}

function findKey(lines, block, name) {
  const re = new RegExp(`^\\s{${block.prop}}${name}:`);
  for (let k = block.start + 1; k < block.end; k++) {
    if (re.test(lines[k]) && indentOf(lines[k]) === block.prop) {
      let end = k + 1;
      while (end < block.end && (lines[end].trim() === "" || indentOf(lines[end]) > block.prop)) end++;
      while (end > k + 1 && lines[end - 1].trim() === "") end--;
      return { start: k, end };
    }
  }
  return null;
}

/** The text with rule ``id``'s key ``name`` set to ``value`` (flow style), or removed when value is null. */
export function setRuleKey(text, id, name, value) {
  const lines = text.split("\n");
  const block = findRule(lines, id);
  if (!block) return null;
  const found = findKey(lines, block, name);
  const line = value === null ? [] : [`${" ".repeat(block.prop)}${name}: ${typeof value === "string" ? value : flow(value)}`];
  if (found) lines.splice(found.start, found.end - found.start, ...line);
  else lines.splice(block.end, 0, ...line);
  return lines.join("\n");
}

/** "month:10, day:16" → [{period: "month", max: 10}, …]; "" → []. */
export function parseLimits(text) {
  return text.split(/[,，;\s]+/).filter(Boolean).map((part) => {
    const [period, max] = part.split(/[:：=]/);
    return { period: period.trim(), max: Number(max) };
  });
}

/** Whether the form's "period:max" text can say every limit (no count, rolling window, applies_to or per member). */
export function plainLimits(limits) {
  const plain = ([k, v]) => k === "period" || k === "max" || v == null || (k === "per" && v === "account");
  return (limits || []).every((l) => Object.entries(l).every(plain) && l.period != null && l.max != null);
}

export function formatLimits(limits) { return (limits || []).map((l) => `${l.period}:${l.max}`).join(", "); }

/** "5:5, 4:3" → {5: 5, 4: 3}. */
export function parseTable(text) {
  const out = {};
  for (const part of text.split(/[,，;\s]+/).filter(Boolean)) {
    const [k, v] = part.split(/[:：=]/);
    out[k.trim()] = Number(v);
  }
  return out;
}

export function formatTable(values) { return Object.entries(values || {}).map(([k, v]) => `${k}:${v}`).join(", "); }

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// a number stated as points: "2 分", "2分", "2 个积分", "2 points"
const UNIT = "\\s*(?:个)?(?:积分|分|points?|pts?\\b)";

/**
 * Rule ``id``'s title and note after its values changed (``pairs``: [old, new] numbers): an old
 * value the text states once, as points ("每次 2 分"), becomes the new one; an old value it
 * states otherwise, or more than once, or that two changes share, is left as written and
 * reported as stale for the person to check. Returns {text, restated: [{key, old, now}], stale: [{key, old}]}.
 */
export function restate(text, id, pairs) {
  const changes = pairs.filter(([old, now]) => old != null && now != null && Number(old) !== Number(now));
  const out = { text, restated: [], stale: [] };
  const lines = text.split("\n");
  const block = findRule(lines, id);
  if (!block || !changes.length) return out;
  for (const key of ["title", "note"]) {
    const found = findKey(lines, block, key);
    if (!found) continue;
    const written = lines.slice(found.start, found.end).join("\n");
    const head = written.indexOf(":") + 1;  // the value only, never the key
    const value = written.slice(head);
    const cuts = [];
    for (const [old, now] of changes) {
      const number = `(?<![\\d.])${escapeRe(String(old))}(?![\\d.])`;
      const anywhere = [...value.matchAll(new RegExp(number, "g"))];
      if (!anywhere.length) continue;
      const stated = [...value.matchAll(new RegExp(`${number}(?=${UNIT})`, "g"))];
      const shared = changes.some(([o, n]) => Number(o) === Number(old) && Number(n) !== Number(now));
      if (anywhere.length === 1 && stated.length === 1 && !shared) cuts.push({ at: stated[0].index, old: String(old), now: String(now) });
      else if (!out.stale.some((x) => x.key === key && Number(x.old) === Number(old))) out.stale.push({ key, old });
    }
    if (!cuts.length) continue;
    let edited = value;
    for (const c of [...cuts].sort((a, b) => b.at - a.at)) edited = edited.slice(0, c.at) + c.now + edited.slice(c.at + c.old.length);
    lines.splice(found.start, found.end - found.start, ...(written.slice(0, head) + edited).split("\n"));
    out.restated.push(...cuts.sort((a, b) => a.at - b.at).map((c) => ({ key, old: c.old, now: c.now })));
  }
  out.text = lines.join("\n");
  return out;
}
