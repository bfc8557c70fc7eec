"""The soak benchmark's arithmetic, without a server: when it reads the RSS, how long it waits, the
link each student opens, the database's bytes per student and the rule."""

import sqlite3
from urllib.parse import parse_qsl, urlparse

from benchmarks.soak import (
    GOAL_MB,
    checkpoints,
    growth_per_student,
    idle_seconds,
    lesson_link,
    per_student,
    table_bytes,
    verdict,
)
from fmnist_core.config import ExperimentConfig


def test_the_rss_is_read_after_the_first_every_nth_and_the_last_student():
    assert checkpoints(200, 50) == [1, 50, 100, 150, 200]
    assert checkpoints(7, 3) == [1, 3, 6, 7]
    assert checkpoints(1, 50) == [1]


def test_the_idle_time_covers_the_seat_rule_unless_given():
    assert idle_seconds(None, 120) == 360  # the 6 minutes cover the server's 2
    assert idle_seconds(None, 600) == 660  # a longer rule, and a minute for its sweep
    assert idle_seconds(30, 600) == 30


def test_the_link_is_two_layers_of_1024_on_2000_images_with_the_students_seed():
    link = urlparse(lesson_link(seed=1_007, epochs=2))
    config, notes = ExperimentConfig.from_query(dict(parse_qsl(link.query)))
    assert (link.path, notes) == ("/Build_and_train", [])
    assert (config.hidden_layers, config.train_size, config.epochs, config.seed) == \
        ((1024, 1024), 2_000, 2, 1_007)


def test_bytes_per_student_are_what_each_table_grew_by_with_its_indexes(tmp_path):
    database = tmp_path / "runs.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE weights (run INTEGER PRIMARY KEY, data BLOB)")
        connection.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("CREATE INDEX ix_runs_name ON runs (name)")
    empty = table_bytes(database)
    with sqlite3.connect(database) as connection:
        for run in range(4):
            connection.execute("INSERT INTO weights VALUES (?, ?)", (run, bytes(100_000)))
            connection.execute("INSERT INTO runs VALUES (?, ?)", (run, f"Run {run} " + "x" * 2_000))
    after = table_bytes(database)  # read through the WAL: nothing checkpointed yet
    assert "ix_runs_name" not in after and after["runs"] > empty["runs"]
    grown = per_student(empty, after, students=4)
    assert 100_000 <= grown["weights"] < 110_000  # a blob fills whole pages
    assert list(grown) == ["all", "weights", "runs"]
    assert grown["all"] == round((sum(after.values()) - sum(empty.values())) / 4)


def test_the_rule_is_at_most_150_mb_above_the_first_student_after_the_idle_time():
    assert verdict({"1": 1000.0, "200": 1900.0, "idle": 1000.0 + GOAL_MB}) == \
        {"rss_growth_after_idle_mb": GOAL_MB, "goal_mb": GOAL_MB, "met": True}
    assert not verdict({"1": 1000.0, "idle": 1150.1})["met"]


def test_growth_per_student_is_from_the_first_to_the_last_before_the_idle_time():
    assert growth_per_student({"1": 1000.0, "3": 1100.0, "6": 1250.0, "idle": 900.0}, 6) == 50.0
    assert growth_per_student({"1": 1000.0, "idle": 900.0}, 1) is None
