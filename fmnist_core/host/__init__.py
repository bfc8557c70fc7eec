"""The machine a server runs on: what its container allows, its settings, and its upkeep.

`container` reads the cgroup's CPU quota and memory limit (v2 and v1) and gives freed memory back to
the system (glibc's malloc, tuned when fmnist_core is imported); `environment` reads the server's own
settings from the environment, checked (`FMNIST_TRAINING_SLOTS`, `FMNIST_DATABASE_URL`, …), and the
memory it uses; `every` runs a function every few seconds on a thread of its own (`Every`: the
hourly retention, the sweep of learners who left). Import from those modules; nothing is exported
here. No TensorFlow, no Streamlit.
"""
