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

export const get = (path) => api("GET", path);
export const post = (path, json) => api("POST", path, { json });
