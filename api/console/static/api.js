// The console's only way to the server: the resource API with the signed-in token.
const TOKEN_KEY = "xinzhi.token";

export function token() { return sessionStorage.getItem(TOKEN_KEY); }
export function setToken(value) { sessionStorage.setItem(TOKEN_KEY, value); }
export function clearToken() { sessionStorage.removeItem(TOKEN_KEY); }

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.errors = (body && body.errors) || [];
    this.body = body || {};
  }
}

export async function api(method, path, { json, text, contentType } = {}) {
  // the server says its refusals in the console's language (the switch at the top right)
  const headers = { "Accept-Language": localStorage.getItem("xinzhi.lang") === "en" ? "en" : "zh-CN" };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  let body;
  if (json !== undefined) { headers["content-type"] = "application/json"; body = JSON.stringify(json); }
  if (text !== undefined) { headers["content-type"] = contentType || "application/yaml"; body = text; }
  const response = await fetch(path, { method, headers, body });
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, typeof data === "object" ? data : { detail: data });
  return data;
}

// A file from the API (CSV, Excel) saved under `filename`: fetched with the token (a plain link
// would go without it), then handed to the browser through a blob link. Resolves to the blob.
export async function download(path, filename) {
  const headers = { "Accept-Language": localStorage.getItem("xinzhi.lang") === "en" ? "en" : "zh-CN" };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const response = await fetch(path, { headers });
  if (!response.ok) {
    const type = response.headers.get("content-type") || "";
    throw new ApiError(response.status, type.includes("json") ? await response.json() : { detail: await response.text() });
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);  // the browser copies it first; a minute is plenty
  return blob;
}

export const get = (path) => api("GET", path);
export const post = (path, json) => api("POST", path, { json });
