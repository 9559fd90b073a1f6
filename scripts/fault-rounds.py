#!/usr/bin/env python3
"""The long form of the fault rounds (tests/interop/fault_rounds.py; the README's test command runs the short
form, 10 rounds): --rounds seeded faults on three combined nodes on loopback — kill -9 of a partition leader or
of the active controller, SIGSTOP past broker.session.timeout.ms, a restart from data that lost its unflushed
tail — under an idempotent acks=all producer, a transactional producer and a read_committed consumer group. Prints
each round (fault, node, seconds until every partition acknowledged again, records acknowledged, lost and
duplicated among them) and the totals, then every problem the checker found; exits 1 if it found any.

    python3 scripts/fault-rounds.py [--rounds 100] [--seed S] [--bin .build/debug/tributary]
                                    [--session-ms 4000] [--lag-ms 3000]

The binary: --bin, else $TRIBUTARY_BIN, else .build/debug/tributary. Its own nodes, on free loopback ports in a
temporary directory (kept, with the nodes' logs, when a problem is found)."""
import argparse
import os
import random
import shutil
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import fault_rounds  # noqa: E402
import test_raft_nodes  # noqa: E402
import test_replication as tr  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--bin", default=os.environ.get("TRIBUTARY_BIN", os.path.join(ROOT, ".build", "debug", "tributary")))
    p.add_argument("--session-ms", type=int, default=tr.SESSION_MS)
    p.add_argument("--lag-ms", type=int, default=tr.LAG_MS)
    a = p.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1, 10 ** 6)
    binary = os.path.abspath(a.bin)
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"fault-rounds: no binary at {binary} (swift build, --bin or TRIBUTARY_BIN)")
    os.environ["TRIBUTARY_BIN"] = binary
    os.environ["CLUSTER_ID"] = tr.CLUSTER_ID
    test_raft_nodes.PROGRESS = False
    work = tempfile.mkdtemp(prefix="fault-rounds-")
    print(f"fault-rounds: seed {seed} (--seed {seed} replays the choices), {a.rounds} rounds, three combined nodes "
          f"from {binary}, data in {work}", flush=True)
    cluster = tr.Cluster(work, layout="combined", session_ms=a.session_ms, lag_ms=a.lag_ms)
    problems = ["the run did not finish"]
    try:
        cluster.start()
        problems, _, _ = fault_rounds.run_rounds(cluster, a.rounds, seed, say=lambda s: print(s, flush=True))
    finally:
        cluster.close()
        if problems:
            print(f"fault-rounds: seed {seed}: {len(problems)} problems; data and logs kept in {work}")
            for line in problems:
                print(f"  {line}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
