"""What the tests, the benchmarks and deploy/ share, so none imports another's modules.

`server`: where the repository and the shared data are, a free port, the app started on one
(`AppServer`) and found healthy (the standard library only, for deploy/stack.py); `browser`: the
Chromium that drives the app, and finding one's way round its pages. Nothing here imports `tests`
or `benchmarks`.
"""
