"""Where ``extends`` parents come from: one small interface, one implementation per place.

The loader asks a ``RulesetSource`` for ``id@version`` and gets the parent's YAML text and
the name its problems are reported under. Because that is all it asks, the same loader
serves the CLI (a directory), a draft worker or a simulation job (texts held in memory)
and the service (the registry's rows, ``xinzhi.registry.source``) — no caller keeps a
lookup of its own, and nobody writes parents to disk so that another part can read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from ._source import parse_yaml

#: ``(yaml_text, source_name)`` of one ruleset.
Found = tuple[str, str]


@runtime_checkable
class RulesetSource(Protocol):
    """Finds a ruleset by ``id@version``."""

    def find(self, ref: str) -> Found | None:
        """The ruleset's text and name, or None when this source has no such ruleset."""
        ...


class MemorySource:
    """Texts held in memory, by ref: what a worker process is sent, or a test's parents."""

    def __init__(self, texts: Mapping[str, Sequence[str]] | None = None):
        # JSON turns the (text, name) pairs a worker is sent into lists: take either.
        self.texts: dict[str, Found] = {ref: (str(found[0]), str(found[1])) for ref, found in (texts or {}).items()}

    def find(self, ref: str) -> Found | None:
        """The text stored under ``ref``."""
        return self.texts.get(ref)

    def __repr__(self) -> str:
        return f"MemorySource({sorted(self.texts)})"


class DirectorySource:
    """The ``*.yaml`` files of one or more directories; the first directory that has a ref wins.

    Each directory is read once, when a parent is first asked for. Its files go through the
    loader's parse stage (so a parent found here is not parsed again when it is loaded); a
    file that does not validate is still found by the ``id`` and ``version`` it declares, so
    that its own problems are reported rather than "unknown ruleset".
    """

    def __init__(self, *directories: str | Path):
        self.directories = tuple(str(Path(d)) for d in directories)
        self._index: dict[str, Found] | None = None

    def find(self, ref: str) -> Found | None:
        """The first file, in directory order then file-name order, that declares ``ref``."""
        if self._index is None:
            self._index = _index(self.directories)
        return self._index.get(ref)

    def __repr__(self) -> str:
        return f"DirectorySource{self.directories}"


def _index(directories: Iterable[str]) -> dict[str, Found]:
    # Imported here because the pipeline imports this module; its parse is cached per process.
    from .pipeline import parse_stage

    index: dict[str, Found] = {}
    for directory in directories:
        for file in sorted(Path(directory).glob("*.yaml")):
            text, name = file.read_text(encoding="utf-8"), str(file)
            ruleset, _ = parse_stage(text, name)
            ref = ruleset.ref if ruleset is not None else _declared_ref(text, name)
            if ref is not None:
                index.setdefault(ref, (text, name))
    return index


def _declared_ref(text: str, name: str) -> str | None:
    """``id@version`` as written in a file that does not validate (None if it has neither)."""
    source, _ = parse_yaml(text, name)
    data = source.data if source else None
    if isinstance(data, dict) and "id" in data and "version" in data:
        return f"{data['id']}@{data['version']}"
    return None
