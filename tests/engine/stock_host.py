"""durable-rules as its own Python host drives it: the reference the lean matcher is held to.

The stock ``durable.engine.Host`` with its dispatcher off, one-argument callbacks that only
record the rule, each message asserted then retracted in one session — the pattern of
../shared/DURABLE_RULES.md, exactly what the engine ran before it drove the C core itself.
"""

from __future__ import annotations

import copy
import json
import types
from contextlib import suppress

import durable.engine
from durable.engine import Host, MessageNotHandledException

from xinzhi.engine._matcher import _float_safe

#: durable-rules' parser refuses floats with a bare exponent (1e-05); the engine always wrote
#: them its own way for the host too, so the reference does the same.
durable.engine.json = types.SimpleNamespace(dumps=lambda value, **_: _float_safe(value), loads=json.loads)


class _QuietHost(Host):
    """A host without the background dispatcher thread (only needed for timers)."""

    def _run(self) -> None:
        return None


class StockHost:
    """``match`` as the engine's matcher answers it, through durable-rules' Python host."""

    def __init__(self) -> None:
        self._host = _QuietHost()
        self._registered: set[str] = set()
        self._fired: list[str] = []

    def match(self, name: str, definition: dict, message: dict) -> list[str]:
        if not definition:
            return []
        if name not in self._registered:
            rules = copy.deepcopy(definition)  # set_rulesets mutates what it is given
            for rule_id, rule in rules.items():
                rule["run"] = self._recorder(rule_id)
            self._host.set_rulesets({name: rules})
            self._registered.add(name)
        message = {**message, "sid": "0"}
        self._fired = []
        try:
            self._host.assert_fact(name, message)
        except MessageNotHandledException:
            return []
        finally:
            with suppress(MessageNotHandledException):
                self._host.retract_fact(name, message)
        return self._fired

    def _recorder(self, rule_id: str):
        def record(_context) -> None:  # a plain one-argument function, as durable-rules requires
            self._fired.append(rule_id)
        return record
