"""The short form of the fault rounds (fault_rounds.py): ten seeded faults on three combined nodes — kill -9 of a
partition leader or of the active controller, SIGSTOP past the session timeout, a restart from data that lost its
unflushed tail — under acks=all, transactional and read_committed group clients; nothing acknowledged may be lost,
duplicated or reordered, replicas must agree on disk, group offsets and transactions must hold. The seed is printed;
FAULT_SEED=<seed> replays it. scripts/fault-rounds.py runs the long form (100 rounds)."""
import os
import random

import pytest

pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
import fault_rounds  # noqa: E402
from test_replication import clusters  # noqa: E402,F401  (the fixture)

ROUNDS = 10


def test_fault_rounds_lose_nothing_acknowledged(clusters):  # noqa: F811
    seed = int(os.environ.get("FAULT_SEED", random.randrange(1, 10 ** 6)))
    print(f"\n[faults] seed {seed} (FAULT_SEED={seed} replays the fault choices)")
    cluster = clusters(layout="combined")
    problems, rounds, totals = fault_rounds.run_rounds(cluster, ROUNDS, seed)
    assert len(rounds) == ROUNDS
    assert not problems, f"seed {seed}: " + "\n".join(problems)
