"""The benchmark harness (`make bench`, `python -m bench`): the platform measured beside raw-broker baselines.

Every figure is reported as a ratio to a baseline measured in the same invocation, because on a shared machine
the same figure moves by up to 30 % from one hour to the next (../shared/research/perf-limit.md).
"""
