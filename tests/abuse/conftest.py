"""Hypothesis settings for the abuse suite: the same examples on every run, nothing written.

``make test`` must give the same answer twice on the same commit, so the examples are drawn
from a fixed seed (``derandomize``) and no example database is kept in the checkout. To search
afresh, run ``pytest tests/abuse --hypothesis-profile=explore``.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("ci")
