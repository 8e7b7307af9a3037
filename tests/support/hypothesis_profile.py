"""The suite's hypothesis settings: the same examples on every run and every machine.

`derandomize` draws from a seed fixed by each test's name, so a failure seen once is seen
again; no example database is written. HYPOTHESIS_PROFILE=explore searches longer, at random.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile(
    "tally", derandomize=True, database=None, max_examples=200, deadline=None, print_blob=False
)
settings.register_profile("explore", database=None, max_examples=5_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "tally"))
