"""Make pip's Intel TBB visible to Numba, so parallel kernels launch in microseconds.

Numba's TBB threading layer (``numba.np.ufunc.tbbpool``) is linked against
``libtbb.so.12`` without an rpath.  The ``tbb`` wheel installs that library
into the environment's ``lib/`` folder, where the dynamic loader does not
look, so Numba silently falls back to its workqueue layer.  Loading the
library here first, with ``RTLD_GLOBAL``, lets Numba's own ``dlopen`` find it
by its soname; the "forksafe" layer that :mod:`kmeans_core._config` asks for
then picks TBB.

Why it matters: an empty 64-block parallel kernel took 80 us to launch with
the workqueue layer and 3.3 us with TBB (2 cores, ``python -m
bench.threading_layer``), and the k = 20 colour-histogram fit of American
Gothic launches about 100 of them: 0.54x -> 0.40x scikit-learn's time.

Where ``tbb`` is not installed, or the library does not load, nothing
happens and Numba picks its default as before.

Fork: a process forked after parallel fits works (``tests/test_determinism.py``,
``tests/kmeans_core/test_tbb.py``).  After several Python threads launched
parallel kernels, Numba's TBB layer sometimes cannot stop TBB's workers
before the fork and prints "Unable to join threads to shut down before
fork()" on stdout; the forked workers' fits were still bitwise equal
(``tests/test_engine_trust.py``).  ``NUMBA_THREADING_LAYER=workqueue``
avoids the message.  Importing this module is the
whole interface: it must run before the first parallel kernel.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import sysconfig

log = logging.getLogger("kmeans_core")

# Where the tbb wheel puts the library Numba's tbbpool links against, relative
# to an installation scheme's "data" folder (the environment's prefix).
_LIBRARY = {
    "linux": os.path.join("lib", "libtbb.so.12"),
    "darwin": os.path.join("lib", "libtbb.12.dylib"),
    "win32": os.path.join("Library", "bin", "tbb12.dll"),
}


def _candidates(name: str) -> list[str]:
    """Return the library's paths: in this environment, then in the user site."""
    folders = [sysconfig.get_path("data")]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        folders.append(sysconfig.get_path("data", user_scheme))
    return [os.path.join(folder, name) for folder in folders]


def _preload() -> None:
    """Load TBB globally if pip installed it; otherwise leave Numba's default."""
    name = _LIBRARY.get(sys.platform)
    if name is None:
        return
    for path in _candidates(name):
        if os.path.exists(path):
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError as err:  # a broken or foreign build: keep the default
                log.debug("kmeans_core: could not load %s (%s); Numba picks "
                          "another threading layer", path, err)
            return


_preload()
