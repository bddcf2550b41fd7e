"""A whole number a request gives (a quantity, a notice's or an entry's number, a version): a JSON integer only.

Pydantic reads ``true`` as 1 and ``"3"`` as 3 for an ``int``: found by attack, ``"notice": true``
filed an objection to notice 1. What a person typed as text or as a yes/no is refused at its field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict

Whole = Annotated[int, Strict()]
