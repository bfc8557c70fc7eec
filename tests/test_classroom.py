"""The class, without Streamlit or TensorFlow: nicknames, plans, the board's figures, safe text."""

import csv
import io
import math
import re
from datetime import UTC, datetime

import numpy as np
import pytest

from fmnist_core import figures
from fmnist_core.classroom.board import ClassBoard, knob_for_plan, settings_text, standing
from fmnist_core.classroom.nicknames import NICKNAME_LENGTH, check_nickname, suggest_nickname
from fmnist_core.classroom.plans import PLANS, Plan, describe, member_config, part_config, plan_of
from fmnist_core.config import ExperimentConfig
from fmnist_core.figures.class_results import plain_text
from fmnist_core.figures.style import REFERENCE_LABEL_PX
from fmnist_core.run import RunState
from fmnist_core.store import ClassRun
from ui.text import plain

HOSTILE = ["**x**", "<script>alert()</script>", "[a](javascript:alert(1))", "$x$", "Zoë", "山田",
           "مرحبا", "🦊🦊", ":red[x]", "`code`", "# title", "a\\b", "https://evil.example/x",
           "www.evil.example", "a@evil.example"]
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def class_run(member: int, accuracy: float, nickname: str = "", state=RunState.DONE,
              confusion=None, **changes) -> ClassRun:
    return ClassRun(member=member, nickname=nickname or f"nick {member}", name="Run 1",
                    config=ExperimentConfig(**changes), state=state, test_accuracy=accuracy,
                    seconds=12.0, created_at=NOW, finished_at=NOW, confusion=confusion)


@pytest.mark.parametrize("nickname", HOSTILE)
def test_any_nickname_of_1_to_24_characters_is_kept_as_typed(nickname):
    assert check_nickname(f"  {nickname} ") == nickname


@pytest.mark.parametrize(("text", "message"), [
    ("", "Choose a nickname"), ("   ", "Choose a nickname"),
    ("x" * (NICKNAME_LENGTH + 1), "at most 24 characters; this one has 25"),
    ("two\nlines", "line breaks"), ("zero\u200bwidth", "invisible"), (42, "A nickname is text"),
])
def test_a_bad_nickname_gets_one_sentence(text, message):
    with pytest.raises(ValueError, match=message):
        check_nickname(text)


def test_a_suggested_nickname_is_two_words_and_valid():
    for _ in range(20):
        nickname = suggest_nickname()
        assert len(nickname.split()) == 2 and check_nickname(nickname) == nickname


@pytest.mark.parametrize("nickname", HOSTILE)
def test_plain_text_escapes_every_markup_character(nickname):
    escaped = plain(nickname)
    unescaped = re.sub(r"\\(.)", r"\1", escaped.replace("\u200b", ""))
    assert unescaped == nickname
    for character in "*_[]()<>$`:#":
        assert f"\\{character}" in escaped or character not in nickname
    assert not re.search(r"[:.@][^\u200b]", escaped)  # no bare address to make a link of


def test_plotly_text_shows_angle_brackets_literally():
    assert plain_text("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"


def test_every_plan_gives_valid_configs_for_every_value():
    for plan in PLANS.values():
        for slot, value in enumerate(plan.values):
            config = part_config(ExperimentConfig(train_size=5000), plan.setting, value, seed=101 + slot)
            assert config.to_query()[plan.setting] == value and config.seed == 101 + slot
            assert config.train_size == 5000
            assert plan.value_label(slot)
        assert plan_of(plan.setting, plan.values) is plan
    assert plan_of("epochs", ("1", "2")) is None


def test_a_plan_follows_the_stores_rule_for_its_values():
    with pytest.raises(ValueError, match="as the store keeps them: 0.001, 0.01"):
        Plan("Rates", "learning_rate", ("0.0010", "0.01"), "?")
    with pytest.raises(ValueError, match="not a value the settings allow"):
        part_config(ExperimentConfig(), "epochs", "1000", seed=101)


def test_a_class_lock_gives_the_lessons_value_whatever_the_students_link_says():
    own = ExperimentConfig(epochs=100, hidden_layers=(512,), optimizer="sgd", seed=7)
    locked = member_config(own, ["epochs", "optimizer"])
    assert (locked.epochs, locked.optimizer, locked.hidden_layers, locked.seed) == (10, "adam", (512,), 7)
    part = member_config(own, ["epochs"], ("hidden_layers", "64", 103))
    assert (part.epochs, part.hidden_layers, part.seed) == (10, (64,), 103)
    assert member_config(own, []) == own


def test_plan_values_in_a_learners_words():
    assert describe("hidden_layers", "256") == "256 neurons"
    assert describe("hidden_layers", "128,128") == "2 hidden layers (128 × 128)"
    assert describe("epochs", "50") == "50 epochs"
    assert describe("normalize", "0") == "raw pixels (0–255)"
    assert knob_for_plan("hidden_layers", ("128", "128,128")) == "hidden_layers"
    assert knob_for_plan("hidden_layers", ("64", "128")) == "neurons"
    assert knob_for_plan("epochs", ("5",)) == "epochs"


def test_the_board_groups_runs_by_value_with_mean_and_spread():
    runs = [class_run(1, 0.86, hidden_layers=(64,)), class_run(2, 0.88, hidden_layers=(64,)),
            class_run(3, 0.89, hidden_layers=(256,)), class_run(4, math.nan, state=RunState.RUNNING),
            class_run(5, 0.5, state=RunState.INTERRUPTED)]
    board = ClassBoard(runs)
    assert [(p.member, p.x, p.accuracy) for p in board.points("neurons")] == [
        (1, 64, 0.86), (2, 64, 0.88), (3, 256, 0.89)]  # only finished runs are points
    low, high = board.by_value("neurons")
    assert (low.x, low.runs, high.x, high.runs) == (64, 2, 256, 1)
    assert low.mean == pytest.approx(0.87) and low.spread == pytest.approx(0.01)
    assert (low.low, low.high, high.spread) == (0.86, 0.88, 0.0)
    assert board.best().member == 3


def test_the_board_sums_the_confusions_of_each_students_latest_run():
    def confusion(pairs):
        matrix = np.eye(10, dtype=np.int64) * 900
        for (true, predicted), count in pairs.items():
            matrix[true, predicted] = count
        return matrix

    runs = [class_run(1, 0.8, confusion=confusion({(6, 0): 500})),  # replaced by member 1's next
            class_run(1, 0.85, confusion=confusion({(6, 0): 100, (4, 2): 50})),
            class_run(2, 0.86, confusion=confusion({(6, 0): 120, (2, 4): 80}))]
    assert ClassBoard(runs).confused(top=3) == [(6, 0, 220), (2, 4, 80), (4, 2, 50)]


def test_the_leaderboard_shows_each_students_best_and_can_be_anonymous():
    runs = [class_run(1, 0.85, "Zoë"), class_run(2, 0.88, "<script>"), class_run(1, 0.87, "Zoë",
                                                                                  epochs=20)]
    rows = ClassBoard(runs).leaderboard()
    assert [(row["rank"], row["student"], row["test accuracy"]) for row in rows] == [
        (1, "<script>", 0.88), (2, "Zoë", 0.87)]
    assert rows[1]["settings"] == "epochs 20" and rows[0]["settings"] == "the lesson"
    anonymous = ClassBoard(runs, anonymous=True).leaderboard()
    assert [row["student"] for row in anonymous] == ["Student 2", "Student 1"]


@pytest.mark.parametrize("nickname", HOSTILE)
def test_the_csv_has_one_row_per_run_with_the_nickname_as_typed(nickname):
    runs = [class_run(1, 0.85, nickname), class_run(2, math.nan, state=RunState.RUNNING)]
    rows = list(csv.DictReader(io.StringIO(ClassBoard(runs).csv())))
    assert len(rows) == 2 and rows[0]["student"] == nickname  # byte for byte
    assert rows[0]["hidden_layers"] == "128" and rows[0]["test_accuracy"] == "0.85"
    assert rows[1]["state"] == "running" and rows[1]["test_accuracy"] == ""


@pytest.mark.parametrize("nickname", ['=HYPERLINK("http://e.x","Ada")', "+1", "-2+3", "@SUM(A1)",
                                      "\tTab", "\rReturn"])
def test_the_csv_never_gives_a_spreadsheet_a_formula(nickname):
    [row] = csv.DictReader(io.StringIO(ClassBoard([class_run(1, 0.85, nickname)]).csv()))
    assert row["student"] == "'" + nickname  # a spreadsheet shows it as text, the quote hidden


def test_the_class_figure_has_every_point_and_the_means():
    board = ClassBoard([class_run(1, 0.86, "<b>bold</b>", hidden_layers=(64,)),
                        class_run(2, 0.88, hidden_layers=(64,)), class_run(3, 0.9, hidden_layers=(512,))])
    fig = figures.class_results(board.points("neurons"), board.by_value("neurons"), "neurons",
                                references={"lesson ≈ 0.88": 0.88})
    points, means = fig.data
    assert list(points.y) == [0.86, 0.88, 0.9] and list(points.x) == ["64", "64", "512"]
    assert points.text[0] == "&lt;b&gt;bold&lt;/b&gt;"  # hover shows the tags, never renders them
    assert list(means.x) == ["64", "512"] and means.y[0] == pytest.approx(0.87)
    assert list(fig.layout.xaxis.categoryarray) == ["64", "512"]


def test_the_class_figure_labels_its_reference_lines_beside_the_plot_never_on_a_point():
    # The first value's points sit at the plot's left edge, on the human line (0.835 at 32 neurons).
    board = ClassBoard([class_run(1, 0.835, hidden_layers=(32,)), class_run(2, 0.88, hidden_layers=(512,))])
    references = {"lesson ≈ 0.88": 0.88, "human 0.835": 0.835}
    fig = figures.class_results(board.points("neurons"), board.by_value("neurons"), "neurons",
                                references=references)
    labels = {a.text: a for a in fig.layout.annotations}
    assert set(labels) == set(references)
    for text, label in labels.items():
        # Starts at the plot's right edge and reads rightwards, at its line's height: in the margin.
        assert (label.xref, label.x, label.xanchor) == ("x domain", 1, "left")
        assert (label.yref, label.y, label.yanchor) == ("y", references[text], "middle")
    assert fig.layout.margin.r >= REFERENCE_LABEL_PX


def test_settings_text_and_standing_read_like_sentences():
    assert settings_text(ExperimentConfig(seed=7)) == "the lesson"
    assert standing(0.881, [0.87, 0.876, 0.9]) == "Your run 88.1% — class median 87.6% (3 runs)."
    assert standing(0.881, [0.87]) == "Your run 88.1% — class median 87.0% (1 run)."
    assert standing(0.881, []) == "Your run 88.1% — the first of the class."
