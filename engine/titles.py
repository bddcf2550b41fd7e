"""An office's sheet may name fact types, fields and choices by their titles (志愿服务, 检查结果, 合格), not only ids.

The downloadable templates head a column with both (``检查结果（result）``), but a sheet typed by
hand, or kept from before, has the titles alone: found by use, a column ``检查结果`` was refused as
unknown and a type written 垃圾分类检查 as a malformed id. A title reads as the id the community's
standards give it; a title that two of them give different ids stays as written (and is refused
as it is). Only what is not an id already is read as a title. An enum's values have titles where
its standard gives them (``titles: {passed: 合格}``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from .facts import Cell
from .ruleset import Ruleset


def _unambiguous(ids_by_title: dict[str, set[str]]) -> dict[str, str]:
    return {title: next(iter(ids)) for title, ids in ids_by_title.items() if len(ids) == 1}


class SheetTitles:
    """The ids the titles of ``rulesets`` stand for: fact types by title, and each type's fields by title."""

    def __init__(self, rulesets: Iterable[Ruleset]):
        types: dict[str, set[str]] = defaultdict(set)
        fields: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        choices: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._keys: dict[str, set[str]] = defaultdict(set)
        for ruleset in rulesets:
            for fact_type in ruleset.fact_types:
                self._keys.setdefault(fact_type.id, set())  # a type with no fields is an id too (found by attack)
                types[fact_type.title.strip()].add(fact_type.id)
                for key, spec in fact_type.fields.items():
                    self._keys[fact_type.id].add(key)
                    if spec.title:
                        fields[fact_type.id][spec.title.strip()].add(key)
                    for value, title in (spec.titles or {}).items():
                        choices[(fact_type.id, key)][title.strip()].add(value)
        self._types = _unambiguous(types)
        self._fields = {type_id: _unambiguous(by_title) for type_id, by_title in fields.items()}
        self._choices = {field: _unambiguous(by_title) for field, by_title in choices.items()}

    def read(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``raw`` (a row read by ``engine.factfiles``) with its type and field titles as ids."""
        type_id, fields = raw.get("type"), raw.get("fields")
        if not isinstance(type_id, str):
            return raw
        if type_id not in self._keys:
            type_id = self._types.get(type_id.strip(), type_id)
        titles = self._fields.get(type_id, {})
        if titles and isinstance(fields, dict):
            keys, named = self._keys[type_id], {}
            for key, value in fields.items():
                as_id = key if key in keys else titles.get(key.strip(), key)
                named[key if as_id in fields or as_id in named else as_id] = value  # an id's own column wins
            fields = named
        if isinstance(fields, dict) and any((type_id, key) in self._choices for key in fields):
            fields = {key: self._choice(type_id, key, value) for key, value in fields.items()}
        return raw if type_id == raw.get("type") and fields is raw.get("fields") else \
            {**raw, "type": type_id, "fields": fields}

    def _choice(self, type_id: str, key: str, value: Any) -> Any:
        """A cell naming an enum's value by its title (合格), as the value's id; any other value as it is."""
        by_title = self._choices.get((type_id, key), {})
        return Cell(by_title[value.strip()]) if isinstance(value, str) and value.strip() in by_title else value
