"""Reading YAML while remembering where every key and item stood in the file.

PyYAML's constructed data forgets positions, so the node tree is walked once beside the
data and each key path is mapped to its 1-based line and column. Only ``SafeLoader`` is
used: a ruleset can never construct Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import ErrorCode, Problem, format_path

Path = tuple[str | int, ...]

MAX_SOURCE_BYTES = 1_000_000


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

    def problem(self, code: ErrorCode, message: str, path: Path) -> Problem:
        span = self.locate(path)
        return Problem(
            code=code,
            message=message,
            file=self.name,
            line=span[0] if span else None,
            column=span[1] if span else None,
            path=format_path(path),
        )


def parse_yaml(text: str, name: str) -> tuple[Source | None, list[Problem]]:
    """Parse one YAML document; syntax errors and duplicate keys come back as problems."""
    if len(text.encode("utf-8")) > MAX_SOURCE_BYTES:
        return None, [Problem(code=ErrorCode.TOO_LARGE, file=name,
                              message=f"ruleset is larger than {MAX_SOURCE_BYTES} bytes")]
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [Problem(
            code=ErrorCode.YAML_SYNTAX,
            message=f"YAML syntax: {exc.problem or exc.context}",
            file=name,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        )]
    except yaml.YAMLError as exc:
        return None, [Problem(code=ErrorCode.YAML_SYNTAX, message=f"YAML: {exc}", file=name)]
    except ValueError as exc:  # e.g. a timestamp PyYAML recognises but cannot build
        return None, [Problem(code=ErrorCode.YAML_SYNTAX, message=f"YAML value: {exc}", file=name)]
    spans: dict[Path, tuple[int, int]] = {}
    problems: list[Problem] = []
    if node is not None:
        _index(loader, node, (), spans, problems, name)
    loader.dispose()
    return Source(name=name, data=data, spans=spans), problems


def _index(loader: yaml.SafeLoader, node: yaml.Node, path: Path, spans: dict, problems: list[Problem],
           name: str) -> None:
    spans.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = _scalar_key(loader, key_node)
            child = path + (key,)
            if key in seen:
                problems.append(Problem(
                    code=ErrorCode.DUPLICATE_KEY,
                    message=f"key '{key}' appears twice in the same mapping; the second would silently win",
                    file=name,
                    line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                    path=format_path(child),
                ))
            seen.add(key)
            spans[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _index(loader, value_node, child, spans, problems, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(loader, item, path + (i,), spans, problems, name)


def _scalar_key(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Keys as the constructed dict holds them (ints stay ints, e.g. lookup-table keys)."""
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node)
    return str(node.value)
