"""The server's settings from the environment: checked, with one sentence for a bad value."""

import pytest

from fmnist_core.host.container import Limits, cgroup_memory_usage, container_limits, slots_for
from fmnist_core.host.environment import (
    MAX_TRAINING_MINUTES_ENV,
    TRAINING_SLOTS_ENV,
    max_training_minutes,
    process_rss,
    server_memory_usage,
    startup_notes,
    training_cpus,
    training_slots,
    usable_cpus,
)


def test_training_slots_default_to_the_containers_cpus():
    expected = slots_for(container_limits(), usable_cpus())
    assert training_slots({}) == (expected, [])
    assert training_slots({TRAINING_SLOTS_ENV: " "}) == (expected, [])
    assert training_slots({}, Limits(None, None)) == (usable_cpus(), [])


def test_training_slots_from_the_environment():
    assert training_slots({TRAINING_SLOTS_ENV: "3"}) == (3, [])


def test_a_bad_value_is_named_and_the_default_used():
    for text in ("zero", "0", "-2", "65", "2.5"):
        slots, [note] = training_slots({TRAINING_SLOTS_ENV: text}, Limits(None, None))
        assert slots == usable_cpus()
        assert note == (f"FMNIST_TRAINING_SLOTS must be a whole number from 1 to 64; got {text!r}. "
                        f"Using {usable_cpus()}.")


def fake_cgroup(tmp_path, files: dict[str, str], self_cgroup: str) -> tuple:
    """A fake /sys/fs/cgroup and /proc/self/cgroup, as the readers take them."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "self").write_text(self_cgroup)
    return tmp_path, tmp_path / "self"


def cgroup(tmp_path, files: dict[str, str], self_cgroup: str):
    return container_limits(*fake_cgroup(tmp_path, files, self_cgroup))


def test_a_cgroup_v2_quota_and_memory_limit(tmp_path):
    limits = cgroup(tmp_path, {"app/cpu.max": "200000 100000\n", "app/memory.max": "2899102924\n"},
                    "0::/app\n")
    assert limits == Limits(2.0, 2899102924)
    assert limits.describe() == "The container allows a quota of 2 CPUs and a memory limit of 2.7 GiB."
    assert training_slots({}, limits) == (min(2, usable_cpus()), [])


def test_a_cgroup_v2_without_limits(tmp_path):
    limits = cgroup(tmp_path, {"cpu.max": "max 100000", "memory.max": "max"}, "0::/\n")
    assert limits == Limits(None, None) and slots_for(limits, 16) == 16


def test_a_cgroup_v1_quota_and_memory_limit_as_on_this_machine(tmp_path):
    self_cgroup = "4:memory:/process_api/abc\n2:cpuacct,cpu:/box\n1:cpuset:/\n0::/\n"
    limits = cgroup(tmp_path, {"cpu/box/cpu.cfs_quota_us": "150000", "cpu/box/cpu.cfs_period_us": "100000",
                               "memory/process_api/abc/memory.limit_in_bytes": "1073741824"}, self_cgroup)
    assert limits == Limits(1.5, 1 << 30)
    assert slots_for(limits, 16) == 2 and slots_for(limits, 1) == 1  # rounded up, never above the CPUs


def test_a_cgroup_v1_without_limits(tmp_path):
    limits = cgroup(tmp_path, {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000",
                               "memory/memory.limit_in_bytes": "9223372036854771712"},
                    "4:memory:/\n1:cpu:/\n")
    assert limits == Limits(None, None)


@pytest.mark.parametrize("files", [{}, {"app/cpu.max": "garbage"}, {"app/cpu.max": "0 100000"},
                                   {"app/memory.max": "-5"}, {"app/cpu.max": "1 2 3"}])
def test_missing_or_garbled_files_mean_no_limit(tmp_path, files):
    assert cgroup(tmp_path, files, "0::/app\n") == Limits(None, None)


def test_this_machines_own_cgroup_reads_without_error():
    limits = container_limits()
    assert limits.cpus is None or limits.cpus > 0
    assert training_slots({})[0] >= 1


def test_startup_notes_name_every_bad_setting():
    notes = startup_notes({"FMNIST_TRAINING_SLOTS": "lots", "FMNIST_RETENTION_DAYS": "0"})
    assert [note.split(" must ")[0] for note in notes] == ["FMNIST_TRAINING_SLOTS", "FMNIST_RETENTION_DAYS"]
    assert startup_notes({}) == []


def test_memory_usage_and_limit_from_cgroup_v2_less_the_reclaimable_cache(tmp_path):
    where = fake_cgroup(tmp_path, {"app/memory.max": "2899102924",
                                   "app/memory.current": "1500000000",
                                   "app/memory.stat": "anon 1000000000\ninactive_file 300000000\n"},
                        "0::/app\n")
    assert container_limits(*where).memory_bytes == 2899102924
    assert cgroup_memory_usage(*where) == 1_200_000_000


def test_memory_usage_from_cgroup_v1_as_on_this_machine(tmp_path):
    where = fake_cgroup(tmp_path, {"memory/box/memory.usage_in_bytes": "945639424",
                                   "memory/box/memory.limit_in_bytes": "9223372036854771712",
                                   "memory/box/memory.stat": "cache 5\ntotal_inactive_file 45639424\n"},
                        "4:memory:/box\n1:cpu:/\n0::/\n")
    assert container_limits(*where).memory_bytes is None  # v1's "no limit"
    assert cgroup_memory_usage(*where) == 900_000_000


@pytest.mark.parametrize("files", [{}, {"app/memory.current": "lots"}, {"app/memory.current": ""},
                                   {"app/memory.current": "-3"}])
def test_unreadable_memory_usage_is_none(tmp_path, files):
    assert cgroup_memory_usage(*fake_cgroup(tmp_path, files, "0::/app\n")) is None


def test_a_garbled_memory_stat_counts_no_cache(tmp_path):
    where = fake_cgroup(tmp_path, {"app/memory.current": "1000", "app/memory.stat": "inactive_file x\n"},
                        "0::/app\n")
    assert cgroup_memory_usage(*where) == 1000


def test_this_servers_memory_usage_is_known_on_linux():
    assert server_memory_usage() > 0 and process_rss() > 0


def test_training_cpus_follow_the_quota_never_past_the_usable_cpus():
    assert training_cpus(Limits(0.5, None)) == 1
    assert training_cpus(Limits(64.0, None)) == usable_cpus()
    assert training_cpus(Limits(None, None)) == usable_cpus()


def test_max_training_minutes():
    assert max_training_minutes({}) == (5, [])
    assert max_training_minutes({MAX_TRAINING_MINUTES_ENV: "30"}) == (30, [])
    for text in ("0", "241", "ten", "2.5"):
        assert max_training_minutes({MAX_TRAINING_MINUTES_ENV: text}) == (5, [
            f"FMNIST_MAX_TRAINING_MINUTES must be a whole number from 1 to 240; got {text!r}. Using 5."])
    assert [note.split(" must ")[0] for note in startup_notes({MAX_TRAINING_MINUTES_ENV: "0"})] == [
        "FMNIST_MAX_TRAINING_MINUTES"]
