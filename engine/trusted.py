"""Models made of values already checked, without pydantic's ``model_construct``.

A batch of 1,000 facts made some 3,000 models of values its own code had just made or
checked (a fact's keys, each result and entry), and ``model_construct`` — pure Python that
reads the model's fields and defaults for every call — took 3–4 µs each, a twentieth of a
batch. Where every field is given, what it leaves in an instance is the values, which were
set, and the private attributes' defaults: this sets those (1–1.5 µs).
``tests/engine/test_trusted.py`` holds the two to equal instances for every model made this way.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


def trusted(model: type[M], **values: Any) -> M:
    """``model.model_construct(**values)``, quicker where every field is given."""
    private = _private(model)
    if private is _PYDANTICS or len(values) != len(model.__pydantic_fields__):  # pydantic's own way
        return model.model_construct(**values)
    made = model.__new__(model)
    _set(made, "__dict__", values)
    _set(made, "__pydantic_fields_set__", set(values))
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None if private is None else dict(private))
    return made


_PYDANTICS = object()  # a model ``trusted`` leaves to ``model_construct``


@cache
def _private(model: type[BaseModel]) -> Any:
    """The private attributes' defaults ``model_construct`` gives every instance, or ``_PYDANTICS``.

    Left to pydantic: a root model, one keeping extra keys, one with its own ``model_post_init``,
    and one whose private default is made afresh for each instance (a factory's).
    """
    own_post_init = any("model_post_init" in vars(cls) and vars(cls)["model_post_init"].__name__ !=
                        "init_private_attributes" for cls in model.__mro__ if cls is not BaseModel)
    if model.__pydantic_root_model__ or model.model_config.get("extra") == "allow" or own_post_init or any(
            attribute.default_factory is not None for attribute in model.__private_attributes__.values()):
        return _PYDANTICS
    return model.model_construct().__pydantic_private__
