"""The app servers' memory and CPU while the class works: a thread reads /proc every SAMPLE_SECONDS
(the RSS of each server's process tree, its CPU, the students' browsers' CPU, kept at their
niceness, and the whole machine's)."""

import os
import statistics
import time

from fmnist_core.host.every import Every

SAMPLE_SECONDS = 0.25


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, all its threads (ended ones too)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine, all cores, from /proc/stat."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)  # minus idle and iowait


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (from /proc/<pid>/task/<tid>/children)."""
    tree, index = [pid], 0
    while index < len(tree):
        try:
            for task in os.listdir(f"/proc/{tree[index]}/task"):
                with open(f"/proc/{tree[index]}/task/{task}/children") as children:
                    tree.extend(int(child) for child in children.read().split())
        except OSError:
            pass  # gone meanwhile
        index += 1
    return tree


class Sampler:
    """Samples every SAMPLE_SECONDS, in a thread: the app servers' trees' RSS (MB, all together and
    each server's peak) and CPU (% of one core), the CPU of this benchmark's other children
    (Playwright's driver and Chromium, % of one core) and the whole machine's CPU (% of all its
    cores, other people's work included)."""

    def __init__(self, pids: list[int], browser_nice: int = 0):
        # (monotonic time, servers' RSS MB, servers' CPU %, browser CPU %, machine CPU %)
        self.pids, self.samples, self.browser_nice = pids, [], browser_nice
        self.peaks = dict.fromkeys(pids, 0.0)  # each server's peak RSS, MB
        self.exempt: set[int] = set()  # processes (with their trees) that are not students' browsers
        self._ticks_per_second = os.sysconf("SC_CLK_TCK")
        self._every = Every(SAMPLE_SECONDS, self._sample, "rss-sampler")

    def now(self) -> tuple[float, int]:
        """(RSS MB, CPU ticks) of the servers' trees now."""
        rss, ticks = 0, 0
        for server in self.pids:
            tree_rss = 0
            for pid in process_tree(server):
                try:
                    tree_rss, ticks = tree_rss + rss_kb(pid), ticks + cpu_ticks(pid)
                except (OSError, StopIteration):
                    pass  # a child that just ended, or a server killed
            self.peaks[server] = max(self.peaks[server], tree_rss / 1024)
            rss += tree_rss
        return rss / 1024, ticks

    def servers_tree(self) -> set[int]:
        return set().union(*(process_tree(pid) for pid in self.pids))

    def _browser_ticks(self, server: set[int]) -> int:
        """CPU ticks of the browsers; keeps them at `browser_nice` (Chromium sets its own
        processes' priorities, some above the server's, on this machine that stands in for 30)."""
        ticks = 0
        others = server.union(*(process_tree(pid) for pid in tuple(self.exempt)))  # grows meanwhile
        for pid in process_tree(os.getpid())[1:]:
            if pid not in others:
                try:
                    ticks += cpu_ticks(pid)
                    for thread in map(int, os.listdir(f"/proc/{pid}/task")):  # nice is per thread
                        if os.getpriority(os.PRIO_PROCESS, thread) < self.browser_nice:
                            os.setpriority(os.PRIO_PROCESS, thread, self.browser_nice)
                except OSError:
                    pass
        return ticks

    def _ticks(self) -> tuple:
        """(monotonic time, the servers' CPU ticks, the browsers', the machine's busy and total)."""
        return time.monotonic(), self.now()[1], self._browser_ticks(self.servers_tree()), *machine_ticks()

    def _sample(self) -> None:
        (rss, ticks), moment = self.now(), time.monotonic()
        now = moment, ticks, self._browser_ticks(self.servers_tree()), *machine_ticks()
        last, self._last = self._last, now
        seconds = max(now[0] - last[0], 1e-3) * self._ticks_per_second
        self.samples.append((moment, rss, 100 * max(now[1] - last[1], 0) / seconds,
                             100 * max(now[2] - last[2], 0) / seconds,
                             100 * (now[3] - last[3]) / max(now[4] - last[4], 1)))

    def start(self) -> "Sampler":
        self._last = self._ticks()
        self._every.start()
        return self

    def stop(self) -> None:
        self._every.stop()

    def peak(self) -> float:
        return max((sample[1] for sample in self.samples), default=self.now()[0])

    def mean(self, column: int, start: float, end: float) -> float | None:
        """The mean of a column of the samples (2: server CPU, 3: browser, 4: machine) between two times."""
        values = [sample[column] for sample in self.samples if start <= sample[0] <= end]
        return round(statistics.fmean(values)) if values else None
