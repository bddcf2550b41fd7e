"""What the CLI prints for a person: problems in the reader's language, with their place."""

from __future__ import annotations

import os

from xinzhi.engine import Problem
from xinzhi.messages import problem_text


def language() -> str:
    """The reader's language for what the CLI prints: Chinese where the locale says so (``LANG=zh_CN.UTF-8``).

    ``XINZHI_LANG`` (``zh`` or ``en``) overrides the locale, e.g. for an office PC set up in English.
    """
    for name in ("XINZHI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX"):
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def said(problem: Problem) -> str:
    """A problem as ``file:line:column: message [code]``, the message in the reader's language."""
    return str(problem.model_copy(update={"message": problem_text(problem, language())}))
