"""``python -m rtgym_bench``: see :mod:`rtgym_bench.cli`."""

import sys

from .cli import main

sys.exit(main())
