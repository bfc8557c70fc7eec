"""`python -m fmnist_core.lesson.writeup check FILE...`: one JSON line per file (see `cli`)."""

import sys

from fmnist_core.lesson.writeup.cli import main

if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")  # JSON lines are UTF-8, whatever the console says
    sys.exit(main())
