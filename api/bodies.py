"""Reading a request's text and JSON strictly, and saying where it goes wrong.

FastAPI reads a JSON body with ``json.loads``: a byte that is not UTF-8, or nesting deeper than
the interpreter's recursion, became its bare 400 (said as "send UTF-8" whatever the cause), a
syntax error was placed at ``[7]`` as if the 8th item of a list were wrong, and a key written
twice silently kept its last value (``{"count": 2, "count": 3}`` scored 3). The ruleset loader
refuses a key twice and the CSV reader a column twice; a JSON body now does too. Every route
reads its body through ``StrictJsonRoute``; the refusal travels out as the cause of FastAPI's
400, which ``api.errors`` answers as this refusal.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from xinzhi.engine import Problem, format_path
from xinzhi.engine.factfiles import json_walk, unstorable_within
from xinzhi.errors import ServiceCode, ServiceError
from xinzhi.messages import Message

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

#: Python's words for a JSON syntax error (the start of ``JSONDecodeError.msg``): what they say, and in English.
JSON_FAULTS = {
    "Expecting value": ("json.value", "a value is missing (or a comma is one too many)"),
    "Expecting ',' delimiter": ("json.comma", "a comma is missing"),
    "Expecting ':' delimiter": ("json.colon", "a colon is missing"),
    "Expecting property name enclosed in double quotes": (
        "json.key_quotes", "a key must be in double quotes (or a comma is one too many)"),
    "Unterminated string starting at": ("json.unclosed", "a quote is never closed"),
    "Invalid control character at": ("json.control", "a line break or tab inside quotes must be written \\n or \\t"),
    "Invalid \\escape": ("json.escape", "a backslash is followed by a character it cannot escape"),
    "Invalid \\uXXXX escape": ("json.escape", "a backslash is followed by a character it cannot escape"),
    "Extra data": ("json.extra", "the JSON has ended and more follows"),
    "Unexpected UTF-8 BOM": ("json.bom", "a second byte-order mark (BOM) stands before the JSON"),
}

#: What every escape of a NUL or a surrogate holds: a body without it (nearly every one) is not walked.
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _refused(problem: Problem) -> ServiceError:
    return ServiceError(ServiceCode.REQUEST_INVALID, Message.of("body_unreadable"), [problem])


def utf8_text(data: bytes) -> str:
    """The body as text: UTF-8, a byte-order mark allowed (Notepad writes one); UTF-16 or GBK refused."""
    if data[:2] in _UTF16_BOMS or b"\x00" in data[:2]:  # JSON or YAML starts with a character of ASCII
        raise _refused(Problem(code=ServiceCode.REQUEST_INVALID, says="body.utf16",
                               message="the body is UTF-16 (or UTF-32) text; send it as UTF-8"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = exc.start + 1 + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
        raise _refused(Problem(code=ServiceCode.REQUEST_INVALID, says="body.not_utf8", params={"byte": at},
                               message=f"the body is not UTF-8 text (byte {at} does not read); send it as UTF-8"
                               )) from None


class _Twice(dict):
    """An object of the body with a key written twice: the first such key."""

    def __init__(self, found: dict[str, Any], key: str):
        super().__init__(found)
        self.twice = key


def _repeated(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    raise AssertionError("no key is repeated")


def _first_within(targets: list[_Twice], value: Any) -> tuple[str | None, _Twice]:
    """The first of ``targets`` found within ``value``, and where.

    Of objects holding a key twice, an inner one may have been dropped by an outer one's repeated
    key; the outermost is always there.
    """
    wanted = {id(target) for target in targets}
    return next((path, found) for path, found in json_walk(value) if id(found) in wanted)


def json_value(data: bytes) -> Any:
    """The body's JSON value, or a ``ServiceError`` saying what is wrong and where."""
    text = utf8_text(data)
    twice: list[_Twice] = []

    def once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) != len(pairs):
            twice.append(_Twice(found, _repeated(pairs)))
            return twice[-1]
        return found

    try:
        value = json.loads(text, object_pairs_hook=once_each)
    except json.JSONDecodeError as exc:
        says, fault = next((words for start, words in JSON_FAULTS.items() if exc.msg.startswith(start)),
                           (None, exc.msg))  # words of another Python: said as they are, in English
        raise _refused(Problem(code=ServiceCode.REQUEST_INVALID, line=exc.lineno, column=exc.colno,
                               says=says and "body.not_json", params={"line": exc.lineno, "column": exc.colno,
                                                                      "fault": {"says": says, "params": {}}},
                               message=f"the body is not valid JSON at line {exc.lineno}, column {exc.colno}: "
                                       f"{fault}")) from None
    except RecursionError:
        raise _refused(Problem(code=ServiceCode.REQUEST_INVALID, says="body.too_deep",
                               message="the body nests lists and objects too deeply")) from None
    except ValueError:  # an integer of more digits than Python converts (4,300)
        raise _refused(Problem(code=ServiceCode.REQUEST_INVALID, says="body.long_number",
                               message="a number in the body has thousands of digits")) from None
    if twice:
        where, holder = _first_within(twice, value)
        key = holder.twice
        raise _refused(Problem(code=ServiceCode.REQUEST_INVALID, path=format_path(
            [part for part in [where, key] if part]), says="duplicate_key", params={"key": key},
            message=f"'{key}' is written twice in one object; the later would silently replace the earlier: "
                    "write it once"))
    if _SUSPECT.search(data) and (unstorable := unstorable_within(value)) is not None:
        path, character = unstorable
        code = f"U+{ord(character):04X}"
        raise ServiceError(ServiceCode.REQUEST_INVALID, Message.of("unstorable_text"), [Problem(
            code=ServiceCode.REQUEST_INVALID, path=path, says="body.unstorable", params={"code": code},
            message=f"text may not hold {code}: a NUL, or half of a character")])
    return value


class _StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json_value(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is read by ``json_value`` (FastAPI's documented custom-request hook).

    Its query parameters are given once each: no route takes a list in its query, and FastAPI
    keeps the last of a repeated one (found by attack: ``?community=a&community=b`` read b).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, given a request whose ``json()`` is ``json_value``."""
        handle = super().get_route_handler()

        async def strictly(request: Request) -> Response:
            names = [name for name, _ in request.query_params.multi_items()]
            if len(names) != len(set(names)):
                twice = next(name for name in names if names.count(name) > 1)
                raise ServiceError.at(ServiceCode.REQUEST_INVALID, twice, "query_twice", name=twice)
            return await handle(_StrictJsonRequest(request.scope, request.receive))

        return strictly
