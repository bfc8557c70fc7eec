"""The class on one server: each learner's desk (their seat, runs, trainings under way and open tabs).

Plain Python over the run store, testable without Streamlit or TensorFlow. Exports `Desk` and
`Desks`.
"""

from fmnist_core.classroom.desks import PRESENCE_GRACE_SECONDS, Desk, Desks

__all__ = ["PRESENCE_GRACE_SECONDS", "Desk", "Desks"]
