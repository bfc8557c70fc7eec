"""The class on one server: each learner's desk (their seat, runs, trainings under way and open tabs),
their trainings saved as they happen, and a teacher's class.

`desks` holds `Desk` and `Desks`, what the server keeps for each seat while the learner is here;
`saving` has `SeatRecorder`, which hands a seat's trainings to the run store epoch by epoch;
`nicknames`, `plans` and `board` are a teacher's class: nicknames checked and suggested, the class
experiments and each student's part, the board's figures from every run of the class. Plain Python
over the run store, testable without Streamlit or TensorFlow. Exports `Desk`, `Desks` and
`PRESENCE_GRACE_SECONDS`.
"""

from fmnist_core.classroom.desks import PRESENCE_GRACE_SECONDS, Desk, Desks

__all__ = ["PRESENCE_GRACE_SECONDS", "Desk", "Desks"]
