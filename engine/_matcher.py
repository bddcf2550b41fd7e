"""The one durable-rules host of a process, behind one lock.

durable-rules attributes callbacks to the wrong caller when called from several threads,
cannot unregister a ruleset, keeps at most 1,024 live sessions per ruleset, and crashes
in ``delete_state`` for a session created by an unmatched fact (found here, see
docs/durable-rules-notes.md). So: one host per process with its background dispatcher
off; every call under one lock; each ruleset definition registered once under a name
unique to its content; every fact asserted and then retracted in a single session, so
no state survives a call and the session count stays at one per ruleset.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import types
from contextlib import contextmanager, suppress
from typing import Protocol

import durable.engine
from durable.engine import Host, MessageNotHandledException

SESSION = "0"

#: Retracting a fact that matched no rule raises; there is nothing to undo then. One
#: instance serves every call (``suppress`` is reentrant), so no fact pays to build one.
_UNMATCHED = suppress(MessageNotHandledException)


def _json_number(value: float) -> str:
    """A float as JSON that durable-rules can parse.

    Its parser rejects an exponent without fraction digits ("1e-05", "2e+16": error 204,
    raised from both assert and retract), which is how Python writes e.g. 0.00001 hours.
    """
    text = json.dumps(value)
    if "e" in text and "." not in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _json_dumps(value, **_ignored) -> str:
    """``json.dumps(value, ensure_ascii=False)``, with every float written as above."""
    if isinstance(value, float):
        return _json_number(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_json_dumps(v)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json_dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


#: durable-rules serialises every message and definition with its module's ``json``; this
#: stand-in is swapped in (under the matcher's lock) only while a definition is registered
#: or a message holds a float Python would write with a bare exponent, so the common
#: path keeps the C encoder.
_FLOAT_SAFE_JSON = types.SimpleNamespace(dumps=_json_dumps, loads=json.loads)


def _has_bare_exponent(message: dict) -> bool:
    return any(type(v) is float and "e" in repr(v) for v in message.values())


@contextmanager
def _float_safe_json():
    durable.engine.json = _FLOAT_SAFE_JSON
    try:
        yield
    finally:
        durable.engine.json = json


class _QuietHost(Host):
    """A host without the background dispatcher thread (only needed for timers)."""

    def _run(self) -> None:
        return None


class Matcher:
    """Serialised access to the process's durable-rules host."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._host = _QuietHost()
        self._registered: set[str] = set()
        self._fired: list[str] = []
        self._ids = itertools.count(1)

    @property
    def registered(self) -> int:
        return len(self._registered)

    def _register(self, name: str, definition: dict) -> None:
        rules = copy.deepcopy(definition)  # set_rulesets mutates what it is given
        for rule_id, rule in rules.items():
            rule["run"] = self._recorder(rule_id)
        self._host.set_rulesets({name: rules})
        self._registered.add(name)

    def _recorder(self, rule_id: str):
        def record(_context) -> None:  # a plain one-argument function, as durable-rules requires
            self._fired.append(rule_id)
        return record

    def match(self, name: str, definition: dict, message: dict) -> list[str]:
        """Ids of every rule of ``definition`` that matches ``message`` (engine values only).

        ``message`` gets the engine's own ``id`` and ``sid`` keys added (it is built per call
        by ``evaluator.to_message``; copying it again costs more than the match itself saves).
        """
        if not definition:
            return []
        with self._lock:
            if name not in self._registered:
                with _float_safe_json():
                    self._register(name, definition)
            message["id"], message["sid"] = f"m{next(self._ids)}", SESSION
            if _has_bare_exponent(message):
                with _float_safe_json():
                    return self._assert_and_retract(name, message)
            return self._assert_and_retract(name, message)

    def _assert_and_retract(self, name: str, fact: dict) -> list[str]:
        self._fired = []
        try:
            self._host.assert_fact(name, fact)
        except MessageNotHandledException:
            return []
        finally:
            with _UNMATCHED:
                self._host.retract_fact(name, fact)
        return self._fired



class RuleMatcher(Protocol):
    """What the evaluator asks of a matcher: the ids of the rules a fact's message satisfies."""

    def match(self, name: str, definition: dict, message: dict) -> list[str]:
        """Rule ids of ruleset ``name`` (compiled to ``definition``) that ``message`` satisfies."""
        ...


MATCHER = Matcher()
