"""The lesson itself: its exercises and questions, the ladder of improvements, a run as code to take
home, the words its numbers go into, and the write-up checker.

`exercises` holds the lesson's exercises and the experiments that answer its six questions (one
table of changes, `CHANGES`), and its quiz; `ladder` is Learn's ladder: each answer to "how can
accuracy be improved?" as a rung trained beside the baseline, and the gains a learner measured;
`notebook` writes a run as the lesson's Keras, a notebook or a script; `words` puts numbers in
sentences that agree with their nouns ("1 epoch", "twice"); `writeup` checks a student's write-up of
the lesson's six questions (a package of its own). No TensorFlow, no Streamlit.

Exports what `exercises` holds: `BASELINE`, `BEST_IN_3_MINUTES`, `CHANGES`, `EXERCISES`, `QUICK`,
`exercise_config`, `Experiment` and `EXPERIMENTS`, `QuizQuestion`, `QUIZ` and `check`.
"""

from fmnist_core.lesson.exercises import (
    BASELINE,
    BEST_IN_3_MINUTES,
    CHANGES,
    EXERCISES,
    EXPERIMENTS,
    QUICK,
    QUIZ,
    Experiment,
    QuizQuestion,
    check,
    exercise_config,
)

__all__ = ["BASELINE", "BEST_IN_3_MINUTES", "CHANGES", "EXERCISES", "EXPERIMENTS", "QUICK", "QUIZ",
           "Experiment", "QuizQuestion", "check", "exercise_config"]
