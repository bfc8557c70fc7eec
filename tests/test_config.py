import dataclasses

import pytest

from fmnist_core.config import SETTINGS, ExperimentConfig, Setting, can_stop_early


def test_default_is_the_lesson():
    config = ExperimentConfig()
    assert config.hidden_layers == (128,)
    assert (config.activation, config.optimizer, config.batch_size, config.epochs) == (
        "relu", "adam", 32, 10)
    assert config.normalize and config.train_size == 60_000 and config.validation_split == 0
    assert config.steps_per_epoch == 1875
    assert config.held_out_name == "test"


@pytest.mark.parametrize(("changes", "message"), [
    ({"hidden_layers": (0,)}, "hidden_layers must be between 1 and 1024; got 0"),
    ({"hidden_layers": (64, 64, 64, 64)}, "1 to 3 layers, got 4"),
    ({"hidden_layers": ()}, "1 to 3 layers, got 0"),
    ({"epochs": 0}, "epochs must be between 1 and 100; got 0"),
    ({"epochs": 2.5}, "epochs must be a whole number; got 2.5"),
    ({"batch_size": True}, "batch_size must be a whole number"),
    ({"dropout": 0.9}, "dropout must be between 0 and 0.8; got 0.9"),
    ({"dropout": float("nan")}, "dropout must be between"),
    ({"learning_rate": 5.0}, "learning_rate must be between 1e-05 and 1; got 5"),
    ({"activation": "softsign"}, "activation must be one of relu, sigmoid, tanh, elu, gelu"),
    ({"architecture": "rnn"}, "architecture must be one of mlp, cnn; got 'rnn'"),
    ({"normalize": "yes"}, "normalize must be one of 1, 0"),
    ({"train_size": 50}, "train_size must be between 100 and 60000; got 50"),
    ({"validation_split": 0.6}, "validation_split must be between 0 and 0.5"),
    ({"initializer": "ones"}, "initializer must be one of glorot_uniform, he_normal, zeros"),
    ({"l2": 0.5}, "l2 must be between 0 and 0.1; got 0.5"),
    ({"lr_schedule": "linear"}, "lr_schedule must be one of constant, step, cosine"),
    ({"batch_norm": 1}, "batch_norm must be one of 1, 0"),
    ({"early_stopping": 21, "validation_split": 0.1}, "early_stopping must be between 0 and 20"),
    ({"flip": "yes"}, "flip must be one of 1, 0"),
    ({"shift": 7}, "shift must be between 0 and 6; got 7"),
    ({"shift": 1.5}, "shift must be a whole number; got 1.5"),
    ({"rotation": 31}, "rotation must be between 0 and 30; got 31"),
    ({"zoom": 0.5}, "zoom must be between 0 and 0.3; got 0.5"),
])
def test_bad_values_name_the_setting_and_the_range(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ExperimentConfig(**changes)


def test_is_immutable():
    with pytest.raises(AttributeError):
        ExperimentConfig().epochs = 3


def test_query_round_trip():
    config = ExperimentConfig(architecture="cnn", hidden_layers=(256, 64), activation="tanh",
                              dropout=0.25, optimizer="sgd", learning_rate=0.01, batch_size=64,
                              epochs=50, normalize=False, train_size=5000,
                              validation_split=0.1, seed=7, initializer="he_normal", l2=0.0001,
                              lr_schedule="cosine", batch_norm=True, early_stopping=3,
                              flip=True, shift=2, rotation=10, zoom=0.15)
    query = config.to_query()
    assert all(isinstance(value, str) for value in query.values())
    assert query["hidden_layers"] == "256,64" and query["normalize"] == "0"
    assert ExperimentConfig.from_query(query) == (config, [])
    assert set(query) == {setting.name for setting in SETTINGS}


def test_bad_query_values_fall_back_with_a_note():
    config, notes = ExperimentConfig.from_query(
        {"epochs": "lots", "hidden_layers": "64,5000", "batch_size": "64", "unknown": "x",
         "normalize": "maybe"})
    assert config == ExperimentConfig(batch_size=64)
    assert len(notes) == 3
    assert "epochs='lots'" in notes[0] and "Using 10" in notes[0]
    assert "between 1 and 1024; got 5000" in notes[1]


def test_validation_split_holds_out_part_of_the_training_images():
    config = ExperimentConfig(train_size=10_000, validation_split=0.2, batch_size=100)
    assert (config.validation_images, config.fit_images, config.steps_per_epoch) == (2000, 8000, 80)
    assert config.held_out_name == "validation"


def test_differences_from_the_lesson():
    assert ExperimentConfig().differences() == {}
    changed = ExperimentConfig(hidden_layers=(64, 32), epochs=50)
    assert changed.differences() == {"hidden_layers": "64,32", "epochs": "50"}
    assert changed.differences(changed) == {}


def test_teacher_controls_round_trip_and_ignore_unknown_names():
    from fmnist_core.config import teacher_controls, teacher_query

    controls, notes = teacher_controls({"lock": "epochs, hidden_layers", "hide": "seed,colour",
                                        "epochs": "5"})
    assert controls == {"epochs": "lock", "hidden_layers": "lock", "seed": "hide"}
    assert notes == ["Ignored hide='colour': there is no such setting."]
    assert teacher_query(controls) == {"lock": "epochs,hidden_layers", "hide": "seed"}
    assert teacher_controls(teacher_query(controls)) == (controls, [])
    assert teacher_controls({}) == ({}, [])


def test_the_settings_table_is_the_one_source_of_defaults_and_fields():
    assert [field.name for field in dataclasses.fields(ExperimentConfig)] == [s.name for s in SETTINGS]
    assert ExperimentConfig.from_query({}) == (ExperimentConfig(), [])
    for setting in SETTINGS:
        assert getattr(ExperimentConfig(), setting.name) == setting.default
        assert setting.label and setting.help


def test_a_widget_kind_must_be_known():
    with pytest.raises(ValueError, match="widget must be one of layers, slider"):
        Setting("x", 1, "help", "X", "dial")


def test_a_setting_describes_its_values_for_a_learner():
    by_name = {s.name: s for s in SETTINGS}
    assert by_name["architecture"].describe("cnn") == "Small convnet (CNN)"
    assert by_name["train_size"].describe(60_000) == "60,000"
    assert by_name["learning_rate"].describe(0.0001) == "0.0001"


def test_changes_in_words_name_each_changed_setting_with_both_values():
    lesson = ExperimentConfig()
    shorter = lesson.with_changes(epochs=3, train_size=20_000)
    assert lesson.changes_in_words(shorter) == \
        "Epochs 3 instead of 10, Training images 20,000 instead of 60,000"
    assert lesson.changes_in_words(lesson) == ""


def test_early_stopping_is_off_without_a_validation_split():
    """Only the test set could decide when to stop, and it must stay unseen."""
    assert ExperimentConfig(early_stopping=3).early_stopping == 0
    assert ExperimentConfig(early_stopping=3, validation_split=0.1).early_stopping == 3
    assert (can_stop_early(0.0), can_stop_early(0.1)) == (False, True)  # the rule the page's widget follows
    config, notes = ExperimentConfig.from_query({"early_stopping": "3"})
    assert config.early_stopping == 0 and notes == []
