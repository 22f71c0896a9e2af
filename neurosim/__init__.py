"""neurosim: what a pruned spiking network costs on neuromorphic hardware.

Pipeline (docs/architecture.md): workload → snn (train) → prune → ir.Network → mapper →
sim → energy → report, driven per pruning level and per chip by sweep and the CLI.
"""

import os as _os
import sys as _sys

__version__ = "0.1.0"


def _numba_cache_in_user_folder() -> None:
    """numba caches compiled kernels next to their source by default, i.e. inside the installed
    package: a read-only install cannot cache, and files left behind in site-packages shadow a later
    editable install. They go to the user's cache folder instead (an explicit NUMBA_CACHE_DIR wins)."""
    from neurosim.files import cache_root

    _os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_root() / "numba"))
    if "numba" in _sys.modules:  # imported before neurosim: numba read its setting already
        _sys.modules["numba"].config.CACHE_DIR = _os.environ["NUMBA_CACHE_DIR"]


_numba_cache_in_user_folder()



def run(*args, **kwargs):
    """Every pruning level of a workload on every chip: `neurosim.api.run` (imported on first use, so
    that `import neurosim` stays light)."""
    from neurosim.api import run as _run

    return _run(*args, **kwargs)
