"""Vensim's name identity and the "did you mean" of every error that quotes a name.

The bottom layer of the package: it imports nothing of ``lifecycle``, so the engines,
``stages`` and ``plotting`` can match names without loading the PySD wrapper.

Examples
--------
>>> canonical("Imitation_Rate ")
'imitationrate'
>>> find("firms", ["Employment", "Firms"])
'Firms'
>>> closest("imitaton rate", ["imitation rate", "trust", "exit delay"])
['imitation rate']
>>> closest("wage", ["relative wage level", "trust"])
['relative wage level']
>>> did_you_mean(["imitation rate", "exit rate"])
"did you mean 'imitation rate' or 'exit rate'?"
>>> key_fix("year_zer", ["year_zero", "dates"])
"did you mean 'year_zero'?"
>>> key_fix("colour", ["year_zero", "dates"])
'allowed: year_zero, dates'
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable

__all__ = ["canonical", "closest", "did_you_mean", "find", "key_fix"]


def canonical(name: str) -> str:
    """Vensim's name identity: case, spaces and underscores do not matter."""
    if type(name) is str:  # every run looks up each output's name: remember them
        return _canonical(name)
    return _canonical(str(name))


@functools.lru_cache(maxsize=8192)
def _canonical(name: str) -> str:
    return _SEPARATORS.sub("", name).lower()


_SEPARATORS = re.compile(r"[\s_]+")


def find(name: str, pool: Iterable[str]) -> str | None:
    """The member of ``pool`` that is ``name`` in Vensim's sense, or None."""
    key = canonical(name)
    return next((p for p in pool if canonical(p) == key), None)


def closest(name: str, pool: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` members of ``pool`` that look like ``name``, the closest first.

    Similar spellings first (:func:`difflib.get_close_matches` on canonical names); failing
    those, the members that contain ``name`` ("wage" finds "relative wage level").
    """
    keys = {canonical(p): p for p in pool}
    key = canonical(name)
    hits = difflib.get_close_matches(key, list(keys), n=n, cutoff=cutoff)
    if not hits and key:
        hits = [k for k in keys if key in k][:n]
    return [keys[h] for h in hits]


def did_you_mean(suggestions: Iterable[str]) -> str:
    """``"did you mean 'a' or 'b'?"``, or ``""`` when there is nothing to suggest."""
    quoted = [f"'{s}'" for s in suggestions]
    return "did you mean " + " or ".join(quoted) + "?" if quoted else ""


def key_fix(key: str, allowed: Iterable[str]) -> str:
    """The fix for an unknown key of a file the user wrote (a TOML table's): the closest
    allowed key, else the list of them. Keys are spelled exactly, unlike Vensim names."""
    allowed = list(allowed)
    close = difflib.get_close_matches(str(key).lower(), allowed, n=1, cutoff=0.6)
    return did_you_mean(close) or "allowed: " + ", ".join(allowed)
