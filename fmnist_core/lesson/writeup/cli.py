"""The write-up checker's command line: `python -m fmnist_core.lesson.writeup check FILE...` prints
one JSON line per file."""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from fmnist_core.lesson.writeup.hints import check
from fmnist_core.lesson.writeup.readme import read_readme


def main(argv: Sequence[str] | None = None) -> int:
    """`check FILE...`: one JSON line per file; 2 if a file could not be read (the others are)."""
    module = __spec__.parent if __spec__ else "fmnist_core.lesson.writeup"
    parser = argparse.ArgumentParser(
        prog=f"python -m {module}",
        description="Hints on lesson write-ups: the six answers found in each README, what each "
                    "covers and misses, and warnings for the usual mix-ups.")
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="check README files, one JSON line per file")
    checking.add_argument("files", nargs="+", metavar="FILE", type=Path)
    arguments = parser.parse_args(argv)
    status = 0
    for path in arguments.files:
        try:
            text = read_readme(path.read_bytes())
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or error
            print(f"{parser.prog}: cannot read {path}: {reason}", file=sys.stderr)
            status = 2
            continue
        print(json.dumps({"file": str(path), "questions": check(text)}, ensure_ascii=False), flush=True)
    return status
