"""``python -m bench``: run the benchmark suite (see ``--help``)."""

import sys

from .run import main

sys.exit(main())
