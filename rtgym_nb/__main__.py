"""``python -m rtgym_nb``: the command line (see :mod:`rtgym_nb.cli`)."""

import sys

from rtgym_nb.cli import main

if __name__ == "__main__":
    sys.exit(main())
