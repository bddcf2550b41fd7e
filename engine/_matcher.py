"""The one durable-rules matcher of a process: its C core driven directly, behind one lock.

durable-rules' Python host costs ~75% of a match (per fact: three ``json.dumps`` each
building a fresh encoder, two ``json.loads``, a closure and a promise per fired rule,
../shared/DURABLE_RULES.md). This module calls the same C core the host calls —
``create_ruleset`` once per definition, then per fact ``assert_fact``, the fired rules
read back with ``start_action_for_state`` / ``complete_and_start_action``, and
``retract_fact`` — and nothing else. That core is not a documented API: the version is
pinned in pyproject.toml and tests/engine/test_lean_matcher.py proves it fires exactly
what the stock host fires, on every ruleset in the repository and on generated facts.

It keeps the host pattern's immunities (docs/durable-rules-notes.md): no host, so no
dispatcher thread and no callbacks to misattribute or swallow exceptions; every call
under one lock; each definition registered once under a name unique to its content
(a ruleset cannot be unregistered); one session (``sid = "0"``) per ruleset with every
fact retracted right after it is matched, so no state survives a call and the session
count stays at one; a fresh ``id`` per message; floats written so the core can parse them.

Because no state survives a call, what fires is a function of the ruleset and the message's
text alone, and the matcher remembers its last answers for each (``REMEMBERED``): a batch's
facts repeat a few field values (a garbage check is excellent, passed or failed), and asking
the core again cost ~6 µs a fact of ~150. An answer is keyed by the exact text the core would
read (less its ``id``), so 1 and 1.0 and true are three messages, as they are to the core.
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Protocol

import durable_rules_engine as core
import orjson

SESSION = "0"
#: Answers remembered per matcher: when full, it starts afresh (a bound, whatever the facts' variety).
REMEMBERED = 4096

#: What ``assert_fact`` / ``retract_fact`` answer first: 0 the state changed (rules may
#: have fired), 1 no rule matched (retracting a fact that matched none answers this too).
_CHANGED, _UNMATCHED = 0, 1


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


def _float_safe(value) -> str:
    """``value`` as JSON (UTF-8 kept), every float written as above: for definitions and rare messages."""
    if isinstance(value, float):
        return _json_number(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_float_safe(v)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_float_safe(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _encode(message: dict) -> str:
    """A message as JSON, UTF-8 kept: orjson writes it as ``json`` does, in an eighth of the time.

    The same text for every float between 1e-4 and 1e16 (beyond them ``_float_safe`` writes
    it); an int beyond 64 bits orjson refuses, and ``json`` writes.
    """
    try:
        return orjson.dumps(message).decode()
    except orjson.JSONEncodeError:
        return _float_safe(message)


def _has_bare_exponent(message: dict) -> bool:
    """Whether a float of ``message`` prints with an exponent, as ``repr`` does below 1e-4 and from 1e16.

    Compared, not printed: this runs for every fact scored (``v - v == 0`` leaves out inf and nan), and
    most have no float at all, which ``in`` over the values' types finds without a Python loop.
    """
    return float in map(type, message.values()) and any(
        type(v) is float and v != 0 and not 1e-4 <= abs(v) < 1e16 and v - v == 0 for v in message.values())


class Matcher:
    """Serialised access to durable-rules' C core: one handle per registered definition."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self._lock = threading.Lock()
        self._handles: dict[str, tuple[int, frozenset[str]]] = {}
        self._ids = itertools.count(1)
        self._remembered = remembered
        self._answers: dict[tuple[str, str], tuple[str, ...]] = {}  # (definition name, message text) → rules fired

    @property
    def registered(self) -> int:
        return len(self._handles)

    def match(self, name: str, definition: dict, message: dict) -> list[str]:
        """Ids of every rule of ``definition`` that matches ``message`` (engine values only), in firing order.

        ``message`` (never empty: it has its ``type``) is read, not changed; the core reads it
        with the engine's own ``id`` and ``sid`` keys added to its text.
        """
        if not definition:
            return []
        text = _float_safe(message) if _has_bare_exponent(message) else _encode(message)
        with self._lock:
            known = self._answers.get((name, text))
            if known is not None:
                return list(known)
            registered = self._handles.get(name)
            if registered is None:
                registered = self._handles[name] = (core.create_ruleset(name, _float_safe(definition)),
                                                    frozenset(definition))
            handle, rule_ids = registered
            sent = f'{text[:-1]},"id":"m{next(self._ids)}","sid":"{SESSION}"}}'
            try:
                fired = self._fired(handle, rule_ids, core.assert_fact(handle, sent))
            finally:
                self._drain(handle, core.retract_fact(handle, sent))
            if len(self._answers) >= self._remembered:
                self._answers.clear()
            if self._remembered:
                self._answers[name, text] = tuple(fired)
            return fired

    @staticmethod
    def _fired(handle: int, rule_ids: frozenset[str], asserted: tuple[int, int]) -> list[str]:
        """The rules the assertion fired, in the core's order: each action names one rule."""
        status, state = asserted
        if status != _CHANGED:
            return []
        fired = []
        action = core.start_action_for_state(handle, state)
        text = action[1] if action else None
        while text:
            fired.append(_rule_of(text, rule_ids))
            text = core.complete_and_start_action(handle, state)
        return fired

    @staticmethod
    def _drain(handle: int, retracted: tuple[int, int]) -> None:
        """Leave no action pending after a retraction (none is expected: every rule needs the fact)."""
        status, state = retracted
        if status == _CHANGED and core.start_action_for_state(handle, state):
            while core.complete_and_start_action(handle, state):
                pass


def _rule_of(action: str, rule_ids: frozenset[str]) -> str:
    """The rule an action names: ``{"<rule id>":{"m":{…}}}``, read without parsing the fact again."""
    rule_id = action[2:action.find('"', 2)]
    return rule_id if rule_id in rule_ids else next(iter(json.loads(action)))


class RuleMatcher(Protocol):
    """What the evaluator asks of a matcher: the ids of the rules a fact's message satisfies."""

    def match(self, name: str, definition: dict, message: dict) -> list[str]:
        """Rule ids of ruleset ``name`` (compiled to ``definition``) that ``message`` satisfies."""
        ...


MATCHER = Matcher()
