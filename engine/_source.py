"""Reading YAML while remembering where every key and item stood in the file.

PyYAML's constructed data forgets positions, so the node tree is walked once beside the
data and each key path is mapped to its 1-based line and column. Only ``SafeLoader`` is
used: a ruleset can never construct Python objects.

A draft is untrusted text, so the work of reading it is bounded before anything walks
it: nesting deeper than ``MAX_DEPTH`` stops the composer (whose recursion would
otherwise exhaust the stack), and a document whose aliases would expand to more than
``MAX_NODES`` nodes (a few hundred bytes can name billions: anchors of lists of aliases
of anchors) is refused before the data is indexed or validated. Control characters and
lone surrogates in text and keys are refused too: no database stores them and no person means them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import ErrorCode, Problem, RulesetError, format_path

Path = tuple[str | int, ...]

MAX_SOURCE_BYTES = 1_000_000
MAX_DEPTH = 64  # a ruleset nests about 8 deep
MAX_NODES = 200_000  # after expanding aliases; the reference standard has about 1,600
_FORBIDDEN = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {"\x7f"}


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark):
        self.mark = mark


class _BadValue(Exception):
    def __init__(self, mark: yaml.Mark, reason: str):
        self.mark, self.reason = mark, reason


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"


class _BoundedLoader(yaml.SafeLoader):
    """``SafeLoader`` whose composer refuses to nest deeper than ``MAX_DEPTH``; a value it cannot build is placed.

    Numbers are read as YAML 1.2 writes them: found by attack, YAML 1.1's forms made a committee's
    ``points: 1:30`` 90 (base 60), ``010`` 8 (octal) and ``0x10`` 16, silently. Those are text now,
    which a number's place refuses at its line.
    """

    _depth = 0
    yaml_implicit_resolvers = {first: [(tag, pattern) for tag, pattern in resolvers if tag not in (_INT, _FLOAT)]
                               for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except ValueError as exc:  # a timestamp PyYAML recognises but cannot build (2021-02-30): where it is written
            raise _BadValue(node.start_mark, str(exc)) from None


_BoundedLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_BoundedLoader.add_implicit_resolver(
    _FLOAT, re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$"
                       r"|^\.(?:nan|NaN|NAN)$"), list("-+.0123456789"))


def _decimal_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    return int(loader.construct_scalar(node))  # 010 is ten


_BoundedLoader.add_constructor(_INT, _decimal_int)


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Nodes in the document once every alias is expanded (each distinct node counted once)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_NODES + 1  # a node reached again while counting it: refuse rather than loop
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(item, sizes) for item in node.value)
    else:
        size = 1
    sizes[id(node)] = min(size, MAX_NODES + 1)
    return sizes[id(node)]


@dataclass(frozen=True)
class Source:
    """A parsed YAML document with a path → (line, column) index."""

    name: str
    data: Any
    spans: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int, int] | None:
        """Position of ``path`` or of its nearest ancestor that exists in the file."""
        for end in range(len(path), -1, -1):
            span = self.spans.get(tuple(path[:end]))
            if span:
                return span
        return None

    def problem(self, code: ErrorCode, message: str, path: Path, says: str | None = None, **params: Any) -> Problem:
        span = self.locate(path)
        return Problem(
            code=code,
            message=message,
            file=self.name,
            line=span[0] if span else None,
            column=span[1] if span else None,
            path=format_path(path),
            says=says,
            params=params,
        )


def parse_yaml(text: str, name: str) -> tuple[Source | None, list[Problem]]:
    """Parse one YAML document; syntax errors and duplicate keys come back as problems."""
    if len(text.encode("utf-8")) > MAX_SOURCE_BYTES:
        return None, [Problem(code=ErrorCode.TOO_LARGE, file=name,
                              message=f"ruleset is larger than {MAX_SOURCE_BYTES} bytes",
                              says="too_large.bytes", params={"most": f"{MAX_SOURCE_BYTES:,}"})]
    try:
        loader = _BoundedLoader(text)  # the reader refuses unprintable characters here
        node = loader.get_single_node()
        if node is not None and _expanded_size(node, {}) > MAX_NODES:
            return None, [Problem(code=ErrorCode.TOO_LARGE, file=name, line=1, column=1,
                                  message=f"the ruleset would have more than {MAX_NODES:,} values once its "
                                          "aliases (*name) are expanded; write the values out",
                                  says="too_large.aliases", params={"most": f"{MAX_NODES:,}"})]
        data = loader.construct_document(node) if node is not None else None
    except _TooDeep as exc:
        return None, [Problem(code=ErrorCode.TOO_LARGE, file=name, line=exc.mark.line + 1,
                              column=exc.mark.column + 1,
                              message=f"the ruleset nests deeper than {MAX_DEPTH} levels",
                              says="too_large.depth", params={"most": MAX_DEPTH})]
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        return None, [_bad_character(exc.character, "", name, line, column) if isinstance(exc.character, int)
                      else Problem(code=ErrorCode.BAD_CHARACTER, file=name, line=line, column=column,
                                   message=f"YAML: {exc}", says="bad_character.unknown")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [Problem(
            code=ErrorCode.YAML_SYNTAX,
            message=f"YAML syntax: {exc.problem or exc.context}",
            says="yaml_syntax", params={"problem": exc.problem or exc.context or ""},
            file=name,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        )]
    except yaml.YAMLError as exc:
        return None, [Problem(code=ErrorCode.YAML_SYNTAX, message=f"YAML: {exc}", file=name,
                              says="yaml_syntax", params={"problem": str(exc)})]
    except _BadValue as exc:
        return None, [Problem(code=ErrorCode.YAML_SYNTAX, message=f"YAML value: {exc.reason}", file=name,
                              line=exc.mark.line + 1, column=exc.mark.column + 1, says="yaml_value")]
    spans: dict[Path, tuple[int, int]] = {}
    problems: list[Problem] = []
    bad_keys: list[Problem] = []
    if node is not None:
        _index(loader, node, (), spans, problems, bad_keys, name)
    loader.dispose()
    if bad_keys:  # every later problem would be placed by a path holding such a key: the reading stops here
        return None, sorted(problems + bad_keys, key=lambda p: (p.line or 0, p.column or 0))
    return Source(name=name, data=data, spans=spans), problems


def _line_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _bad_text(value: str) -> str | None:
    """The first character no ruleset may hold: a C0 control (but tab and newlines) or a lone surrogate."""
    for char in value:
        if char in _FORBIDDEN or "\ud800" <= char <= "\udfff":
            return char
    return None


def ruleset_text(data: bytes, name: str) -> str:
    """A ruleset file's text: UTF-8 (a BOM is dropped), or ``RulesetError`` at the line where it stops being so.

    Found by use: a secretary's file saved in GBK (an older Notepad's default) stopped ``xinzhi
    validate`` for every file named with it, in English, at a byte number.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line, column = before.count(b"\n") + 1, len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise RulesetError([Problem(code=ErrorCode.BAD_CHARACTER, file=name, line=line, column=column,
                                    message="the file is not UTF-8 text from here (GBK?): save it as UTF-8",
                                    says="bad_character.encoding")]) from None


def _bad_character(code: int, where: str, name: str, line: int, column: int, path: Path = ()) -> Problem:
    """A character no ruleset may hold, named by its code point (it may be invisible, or unprintable in a reply)."""
    char = f"U+{code:04X}"
    return Problem(code=ErrorCode.BAD_CHARACTER, file=name, line=line, column=column, path=format_path(path),
                   message=f"character {char} is not allowed in a ruleset" + (f"'s {where}" if where else ""),
                   says=f"bad_character.{where or 'file'}", params={"char": char})


def _index(loader: yaml.SafeLoader, node: yaml.Node, path: Path, spans: dict, problems: list[Problem],
           bad_keys: list[Problem], name: str) -> None:
    spans.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
        bad = _bad_text(node.value)
        if bad is not None:
            problems.append(_bad_character(ord(bad), "text", name, node.start_mark.line + 1,
                                           node.start_mark.column + 1, path))
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = _scalar_key(loader, key_node)
            bad = _bad_text(key) if isinstance(key, str) else None
            if bad is not None:  # placed by the mapping's path: a path holding the key would echo the character
                bad_keys.append(_bad_character(ord(bad), "key", name, key_node.start_mark.line + 1,
                                               key_node.start_mark.column + 1, path))
                continue
            child = path + (key,)
            if key in seen:
                problems.append(Problem(
                    code=ErrorCode.DUPLICATE_KEY,
                    message=f"key '{key}' appears twice in the same mapping; the second would silently win",
                    says="duplicate_key", params={"key": str(key)},
                    file=name,
                    line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                    path=format_path(child),
                ))
            seen.add(key)
            spans[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _index(loader, value_node, child, spans, problems, bad_keys, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(loader, item, path + (i,), spans, problems, bad_keys, name)


def _scalar_key(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Keys as the constructed dict holds them (ints stay ints, e.g. lookup-table keys)."""
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node)
    return str(node.value)
