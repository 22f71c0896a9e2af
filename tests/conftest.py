"""Hypothesis profiles: the suite is reproducible by default (the same examples on every run and every
machine, so a red run can be re-run and a green one means the same thing twice); NEUROSIM_HYPOTHESIS=explore
draws new examples each run to look for failures the fixed ones miss."""

import os

from hypothesis import settings

settings.register_profile("repro", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("NEUROSIM_HYPOTHESIS", "repro"))
