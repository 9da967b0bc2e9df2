"""``python -m compress``: the same entry function as the ``kmeans-compress`` script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
