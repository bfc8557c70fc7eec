"""The run store: every seat (learner), run, class and write-up kept in SQLite or PostgreSQL, so
nothing is lost.

`RunStore` reads and writes the database (SQLAlchemy Core; `migrate.py` and `migrations/` bring its
schema up to date at start): its seat methods come from `SeatStore` (seat_store.py), its class
methods from `ClassStore` (classes.py), its write-up methods from `WriteupStore` (writeups.py), all
on `Database` (database.py). `StoreWriter` does the writes on a background thread and keeps them
while the database is down; `Seat` is a learner's token and code; `default_database_url()` is a
SQLite file in the user's data folder. A teacher's class (`class_rules.py`): `ClassInfo`, a seat's
`Membership`, the board's `ClassRun`s and `ClassCounts`, and `fewest_first`, which keeps a class's
plan balanced. A student's write-up of the lesson (`writeup_rules.py`): `Writeup`, its six answers,
the evidence ticked and when it was handed in, and `ClassWriteup`, one handed in under a class, for
its teacher. `StoreUnavailable` means the database cannot be reached; `UnknownSeat` and
`UnknownRun`, that a write named a seat or run the database does not have; `ClassNotFound`,
`ClassFull` and `NotTheTeacher` say in one sentence for the page why a class cannot be had, and
`TooManySeats` why a browser that started seat after seat gets no more, and `TooManyCodes` how long
a browser that typed wrong code after wrong code must wait (`code_tries`). `StoreFront` is the store
as the pages use it: a method for each thing they read or write, raising `StoreUnavailable` while
the database does not answer. `Heartbeat` tells the other app servers sharing the database that this
one is alive, and marks the runs of servers gone silent as lost. Nothing here imports TensorFlow or
streamlit.
"""

from fmnist_core.store.class_rules import ClassCounts, ClassInfo, ClassRun, Membership, fewest_first
from fmnist_core.store.database import default_database_url
from fmnist_core.store.errors import (
    ClassFull,
    ClassNotFound,
    NotTheTeacher,
    StoreUnavailable,
    TooManyCodes,
    TooManySeats,
    UnknownRun,
    UnknownSeat,
)
from fmnist_core.store.front import StoreFront
from fmnist_core.store.heartbeat import Heartbeat
from fmnist_core.store.runs import MODELS_KEPT, RunStore
from fmnist_core.store.seats import Seat, normalise_code, normalise_seat_code
from fmnist_core.store.writer import StoreWriter
from fmnist_core.store.writeup_rules import ClassWriteup, Writeup

__all__ = ["MODELS_KEPT", "ClassCounts", "ClassFull", "ClassInfo", "ClassNotFound", "ClassRun",
           "ClassWriteup", "Heartbeat", "Membership", "NotTheTeacher", "RunStore", "Seat", "StoreFront",
           "StoreUnavailable", "StoreWriter", "TooManyCodes", "TooManySeats", "UnknownRun", "UnknownSeat",
           "Writeup", "default_database_url", "fewest_first", "normalise_code", "normalise_seat_code"]
