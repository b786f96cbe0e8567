"""Operations: the `bot` command, starting and supervising the servers, make run-prod, training,
benchmarks, log files.

May import everything; nothing imports it (tests/unit/project/test_architecture.py checks it).
"""
