"""The parts of `benchmarks.classroom_load`, a whole class at once in real browsers (its command line
and its story are in that module's docstring).

`student`: what one student's page shows and when (`WATCH_JS`, `Student`, `note`) and Compare's
table checked to be theirs alone; `lesson`: the class together (`Classroom`: every student's browser,
the teachers' boards, the progress line); `server`: the app under load (`Server`) and, with
--kill-server-at, one of the stack's servers killed mid-lesson and started again (`Kill`);
`sampler`: the servers' memory and CPU, read from /proc every 0.25 s (`Sampler`); `report`: the
figures printed at the end.
"""
