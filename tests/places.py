"""Where things are, for the tests and the benchmarks: the repository and the real data beside it."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The shared data folder lies beside the repository, here and in CI's fresh clone.
SHARED_DATA_DIR = REPO.parent / "shared/data/fashion-mnist"
SHARED_WRITEUPS_DIR = REPO.parent / "shared/writeups"  # three real write-ups of the lesson
