"""The JSON Schema of the ruleset format, generated from the models (never hand-edited).

Editors pick it up through the ``yaml-language-server`` modeline at the top of each
ruleset, giving committee members completion and validation as they type.
"""

from __future__ import annotations

import json

from .ruleset import Ruleset

SCHEMA_ID = "https://xinzhi.invalid/ruleset.schema.json"


def ruleset_json_schema() -> dict:
    """The schema as a dict, stable across runs (keys sorted when dumped)."""
    schema = Ruleset.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "Xinzhi ruleset (评定标准)", **{k: v for k, v in schema.items() if k != "title"}}


def ruleset_json_schema_text() -> str:
    """The text of rulesets/ruleset.schema.json, byte for byte, so the committed copy can be checked."""
    return json.dumps(ruleset_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
