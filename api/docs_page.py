"""``/docs``: the OpenAPI document as one HTML page made by the server, for a closed network.

FastAPI's Swagger UI and ReDoc load their scripts from a CDN, so on a community office's
network without internet they are blank pages. This page has no script, style sheet, font
or image from anywhere: every endpoint with its parameters, body, answers and the roles
that may call it, then every schema, linked. ``/openapi.json`` stays the machine-readable
source for clients and generators.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from .bodies import StrictJsonRoute

METHODS = ("get", "post", "put", "delete", "patch")
STYLE = ("body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;max-width:1000px;"
         "margin:1.5em auto;padding:0 1em;color:#222;line-height:1.5}h2{border-bottom:2px solid #eee;margin-top:2em}"
         "h3{margin:1.4em 0 .3em;font-size:1.05em}code,.path{font-family:monospace}table{border-collapse:collapse;"
         "margin:.4em 0;font-size:13px}th,td{border:1px solid #ddd;padding:2px 8px;vertical-align:top}"
         "th{background:#f5f5f5}.m{display:inline-block;min-width:4.2em;font-weight:bold}.get{color:#1b6ac9}"
         ".post{color:#2a8a4a}.put{color:#b26b00}.delete{color:#c0392b}.note{color:#666}"
         "nav{display:flex;flex-wrap:wrap;gap:.2em 1em}h3,code,.path,td{overflow-wrap:anywhere}"
         # a phone: each table row a block of labelled lines (the header row's words before each cell)
         "@media (max-width:600px){body{margin:1em auto}table,tbody,tr,td{display:block}table{width:100%}"
         "tr:first-child{display:none}tr{border:1px solid #ddd;margin:.4em 0;padding:.2em .5em}"
         "td{border:0;padding:1px 0}td:empty{display:none}"
         "td::before{content:attr(data-h);color:#666;font-size:12px;margin-right:.6em}}")


def _schema_text(schema: dict[str, Any]) -> str:
    """A schema in a few words, with a link to a named one."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(_schema_text(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_schema_text(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    return escape(str(kind)) + (f" ({escape(schema['format'])})" if "format" in schema else "")


def _table(head: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return ""
    cells = "".join("<tr>" + "".join(f'<td data-h="{escape(h)}">{c}</td>' for h, c in zip(head, row, strict=True))
                    + "</tr>" for row in rows)
    return "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + f"</tr>{cells}</table>"


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    anchor = escape(op.get("operationId", f"{method}-{path}"))
    parts = [f'<h3 id="{anchor}"><span class="m {method}">{method.upper()}</span> '
             f'<span class="path">{escape(path)}</span></h3>']
    if op.get("summary"):
        parts.append(f"<p><b>{escape(op['summary'])}</b></p>")
    if op.get("description"):
        parts.append(f"<p>{escape(op['description'])}</p>")
    parts.append(_table(["参数 parameter", "位置 in", "必填 required", "类型 type", "说明 description"], [
        [f"<code>{escape(p['name'])}</code>", escape(p.get("in", "")), "是" if p.get("required") else "否",
         _schema_text(p.get("schema", {})), escape(p.get("description", ""))] for p in op.get("parameters", [])]))
    body = op.get("requestBody", {}).get("content", {})
    if body:
        parts.append(_table(["请求体 body", "内容 schema"],
                            [[f"<code>{escape(media)}</code>", _schema_text(spec.get("schema", {}))]
                             for media, spec in body.items()]))
    parts.append(_table(["应答 status", "说明 description", "内容 content"], [
        [escape(status), escape(answer.get("description", "")),
         " ".join(f"<code>{escape(media)}</code> {_schema_text(spec.get('schema', {}))}"
                  for media, spec in answer.get("content", {}).items())]
        for status, answer in op.get("responses", {}).items()]))
    return "".join(parts)


def _schema(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", ()))
    rows = [[f"<code>{escape(key)}</code>", _schema_text(spec), "是" if key in required else "否",
             escape(spec.get("description", ""))] for key, spec in schema.get("properties", {}).items()]
    return (f'<h3 id="schema-{escape(name)}">{escape(name)}</h3>'
            + (f"<p>{escape(schema['description'])}</p>" if schema.get("description") else "")
            + _table(["字段 field", "类型 type", "必填 required", "说明 description"], rows))


def render(spec: dict[str, Any]) -> str:
    """The whole page, from nothing but the OpenAPI document."""
    info = spec.get("info", {})
    by_tag: dict[str, list[str]] = {}
    for path, operations in spec.get("paths", {}).items():
        for method in METHODS:
            if method in operations:
                tag = (operations[method].get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append(_operation(method, path, operations[method]))
    schemas = spec.get("components", {}).get("schemas", {})
    nav = " ".join(f'<a href="#tag-{escape(tag)}">{escape(tag)}</a>' for tag in by_tag)
    body = "".join(f'<h2 id="tag-{escape(tag)}">{escape(tag)}</h2>' + "".join(ops) for tag, ops in by_tag.items())
    body += '<h2 id="schemas">数据结构 schemas</h2>' + "".join(_schema(n, s) for n, s in sorted(schemas.items()))
    title = escape(f"{info.get('title', 'API')} {info.get('version', '')}".strip())
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title} — 接口文档</title><style>{STYLE}</style></head><body>"
            f"<h1>{title} 接口文档</h1><p>{escape(info.get('description', ''))}</p>"
            '<p class="note">本页由服务器生成，不从外网加载任何文件；'
            '机器可读的描述在 <a href="/openapi.json">/openapi.json</a>。'
            " Served by the server itself, nothing loaded from elsewhere; the machine-readable description is at"
            ' <a href="/openapi.json">/openapi.json</a>.</p>'
            f'<nav>{nav} <a href="#schemas">schemas</a></nav>{body}</body></html>\n')


pages = APIRouter(include_in_schema=False, route_class=StrictJsonRoute)


@pages.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """The API described on one page that needs no network."""
    app: FastAPI = request.app
    return HTMLResponse(render(app.openapi()))
