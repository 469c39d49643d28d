"""The command line: ``python -m rtgym_nb COMMAND`` (or ``rtgym-nb COMMAND``).

Each subcommand lives in its own module of this package as a
``main(argv)`` function; this file only dispatches, so ``--help`` stays cheap.
"""

from __future__ import annotations

import importlib
import sys

_COMMANDS = {
    "tutorial": ("rtgym_nb.cli.tutorial", "run the tutorial's drone controller headless"),
    "bench": ("rtgym_nb.cli.bench", "measure this machine's real-time precision"),
    "learn": ("rtgym_nb.cli.learn", "learn to fly the delayed drone (cross-entropy method)"),
    "notebooks": ("rtgym_nb.cli.notebooks", "copy the course's notebooks into a folder"),
    "lab": ("rtgym_nb.cli.lab", "open the course in JupyterLab (extra: lab)"),
    "app": ("rtgym_nb.cli.app", "open the dashboard as a Voila app (extra: app)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in _COMMANDS:
        lines = [f"usage: python -m rtgym_nb {{{','.join(_COMMANDS)}}} [options]", ""]
        lines += [f"  {name:<10} {help_}" for name, (_, help_) in _COMMANDS.items()]
        print("\n".join(lines))
        unknown = bool(argv) and argv[0] not in ("-h", "--help")
        if unknown:
            print(f"\nunknown command {argv[0]!r}", file=sys.stderr)
        return 2 if unknown or not argv else 0
    module = importlib.import_module(_COMMANDS[argv[0]][0])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
