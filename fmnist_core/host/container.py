"""What the container this server runs in allows it: CPUs (the cgroup quota) and memory (its limit).

Inside a container `os.cpu_count()` reports the host's cores: on Community Cloud (a quota of at
most 2 cores and 2.7 GB on a larger host) it said 16. The cgroup files say the truth: v2's
`cpu.max` and `memory.max` under the unified hierarchy, v1's `cpu.cfs_quota_us` /
`cpu.cfs_period_us` and `memory.limit_in_bytes` under each controller's folder. The root folder and
`/proc/self/cgroup` are injectable, so tests use fake ones. A file that is missing or garbled
means "no limit known", never a crash.
"""

import ctypes
import ctypes.util
import math
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")
NO_LIMIT_BYTES = 1 << 60  # v1 writes "no limit" as a number near 2**63


@dataclass(frozen=True)
class Limits:
    cpus: float | None  # the CPU quota in CPUs (1.5 = one and a half), None without one
    memory_bytes: int | None

    def describe(self) -> str:
        cpus = f"a quota of {self.cpus:g} CPUs" if self.cpus else "no CPU quota"
        memory = f"a memory limit of {self.memory_bytes / 2**30:.1f} GiB" if self.memory_bytes \
            else "no memory limit"
        return f"The container allows {cpus} and {memory}."


def container_limits(root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> Limits:
    """The CPU quota and the memory limit of this process's cgroup (v2, else v1)."""
    paths = _cgroup_paths(self_cgroup)
    if "" in paths:  # v2: one hierarchy for every controller
        folder = root / paths[""].lstrip("/")
        return Limits(_cpus_v2(read_text(folder / "cpu.max")), _bytes(read_text(folder / "memory.max")))
    cpu = root / "cpu" / paths.get("cpu", "/").lstrip("/")
    memory = root / "memory" / paths.get("memory", "/").lstrip("/")
    return Limits(_cpus_v1(read_text(cpu / "cpu.cfs_quota_us"), read_text(cpu / "cpu.cfs_period_us")),
                  _bytes(read_text(memory / "memory.limit_in_bytes")))


def slots_for(limits: Limits, usable_cpus: int) -> int:
    """Trainings at once: the CPU quota rounded up, never more than the CPUs the process may use."""
    if limits.cpus is None:
        return usable_cpus
    return max(1, min(usable_cpus, math.ceil(limits.cpus)))


def cgroup_memory_usage(root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> int | None:
    """Bytes the container's cgroup uses now (v2 memory.current, v1 memory.usage_in_bytes) less
    the file cache the kernel reclaims first (memory.stat's inactive_file, as `docker stats` and
    Kubernetes count); None where it cannot be read."""
    paths = _cgroup_paths(self_cgroup)
    if "" in paths:
        folder, usage, reclaimable = root / paths[""].lstrip("/"), "memory.current", "inactive_file"
    else:
        folder = root / "memory" / paths.get("memory", "/").lstrip("/")
        usage, reclaimable = "memory.usage_in_bytes", "total_inactive_file"
    in_use = _whole(read_text(folder / usage))
    if in_use is None:
        return None
    return max(0, in_use - (_stat(read_text(folder / "memory.stat"), reclaimable) or 0))


def _cgroup_paths(self_cgroup: Path) -> dict[str, str]:
    """{controller: path} from /proc/self/cgroup; v2's single line has the controller ""."""
    paths = {}
    for line in (read_text(self_cgroup) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for controller in controllers.split(","):
            paths[controller] = path
    if "" in paths and any(name in paths for name in ("cpu", "memory")):
        del paths[""]  # a hybrid machine: the v1 controllers are the ones in use
    return paths


def read_text(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cpus_v2(text: str | None) -> float | None:
    """cpu.max: "max 100000" (none) or "200000 100000" (2 CPUs)."""
    parts = (text or "").split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    return _cpus_v1(parts[0], parts[1])


def _cpus_v1(quota: str | None, period: str | None) -> float | None:
    try:
        quota_us, period_us = int(quota), int(period)
    except (TypeError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def _bytes(text: str | None) -> int | None:
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None  # "max", missing or garbled: no limit known
    return value if 0 < value < NO_LIMIT_BYTES else None


def _whole(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _stat(text: str | None, key: str) -> int | None:
    """One value from memory.stat's "key value" lines."""
    for words in map(str.split, (text or "").splitlines()):
        if len(words) == 2 and words[0] == key:
            return _whole(words[1])
    return None


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8  # mallopt's, from glibc's malloc.h
BIG_BLOCKS_ON_THE_HEAP = 64 << 20  # a layer's weights or a batch's activations: up to 64 MB each
# glibc's default is 8 arenas a core, each keeping its own freed pages: 40 students through the
# soak left the idle server at 1,185 MB with them and at 993 MB with 2 (measured side by side).
ARENAS = 2


def tune_glibc_malloc() -> bool:
    """Tells glibc to serve blocks up to BIG_BLOCKS_ON_THE_HEAP from its heap (not a fresh mmap,
    paged in anew, for each), not to give free heap back by itself, only when asked
    (`give_back_freed_memory`), and to share ARENAS arenas among the threads. False where there is
    no glibc."""
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt(_M_ARENA_MAX, ARENAS)
    libc.mallopt(_M_MMAP_THRESHOLD, BIG_BLOCKS_ON_THE_HEAP)
    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    return True


def give_back_freed_memory() -> bool:
    """Returns the heap's free pages to the system (glibc's `malloc_trim(0)`); False where there is
    no glibc. After a burst of frees (learners' models let go), glibc keeps the pages for reuse in
    each thread's arena, and the server's RSS, which is what a container's limit counts, stays at
    its peak."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def _glibc():
    """The C library, if it is glibc (it has mallopt and malloc_trim); else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc
