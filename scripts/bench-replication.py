#!/usr/bin/env python3
"""Figures of partition replication on a three-node KRaft cluster (three combined broker+controller nodes on
loopback), driven by confluent-kafka:

- acks=all produce throughput (records/s, MiB/s) and latency (p50 / p99 from produce() to the delivery report,
  queueing included) for a topic with replication factor 3 and min.insync.replicas=2 against one with replication
  factor 1 on the same cluster, per message size: as fast as the producer goes (--count records), and paced at
  --rate records/s for --paced-seconds;
- failover, --rounds times: kill -9 of the broker leading partition 0 while an idempotent acks=all producer writes
  (3000 records at 200/s): the time from the kill to the first acknowledgement of a partition-0 record sent after
  it, the records that failed, and the acknowledged records the final log lacks (acked-lost: should be 0); the
  killed node is restarted and must rejoin the ISR before the next round.

    python3 scripts/bench-replication.py [--bin .build/release/tributary] [--count 20000] [--sizes 100,1024]
                                         [--partitions 3] [--rate 1000] [--paced-seconds 5] [--rounds 3]
                                         [--session-ms 9000] [--lag-ms 30000]

The binary: --bin, else $TRIBUTARY_BIN, else .build/release/tributary. Prints figures only; it asserts no timing.
Starts its own nodes on free loopback ports in a temporary directory (the cluster helpers of
tests/interop/test_replication.py) and kills them at the end."""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import test_raft_nodes  # noqa: E402
import test_replication as tr  # noqa: E402  (the replication test's cluster, producer and checks)


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def produce_figures(cluster, topic, count, size, rate=None):
    """One ProducerRun of `count` records of `size` bytes (paced at `rate`/s, or unpaced) after a warm-up record:
    (records/s, MiB/s, p50 ms, p99 ms, summary)."""
    run = tr.ProducerRun(",".join(n.bootstrap for n in cluster.live()), topic, count, rate=rate, size=size,
                         warmup=True).start()
    run.join(run.flush_seconds + (count / rate if rate else 0) + 120)
    acked, _, sent = run.snapshot()
    latencies = [(at - sent[i]) * 1000 for i, (_, _, at) in acked.items()]
    span = (max(at for _, _, at in acked.values()) - min(sent.values())) if acked else float("nan")
    return (len(acked) / span, len(acked) * size / span / (1 << 20), pct(latencies, 50), pct(latencies, 99),
            run.summary())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.environ.get("TRIBUTARY_BIN", os.path.join(ROOT, ".build", "release", "tributary")))
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--sizes", default="100,1024")
    p.add_argument("--partitions", type=int, default=3)
    p.add_argument("--rate", type=int, default=1000)
    p.add_argument("--paced-seconds", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--session-ms", type=int, default=9000)
    p.add_argument("--lag-ms", type=int, default=30000)
    a = p.parse_args()
    binary = os.path.abspath(a.bin)
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"bench-replication: no binary at {binary} (swift build -c release, --bin or TRIBUTARY_BIN)")
    os.environ["TRIBUTARY_BIN"] = binary
    os.environ["CLUSTER_ID"] = tr.CLUSTER_ID
    test_raft_nodes.PROGRESS = False
    work = tempfile.mkdtemp(prefix="bench-replication-")
    cluster = tr.Cluster(work, layout="combined", session_ms=a.session_ms, lag_ms=a.lag_ms)
    print(f"bench-replication: three combined nodes from {binary}, data in {work}; broker.session.timeout.ms "
          f"{a.session_ms}, replica.lag.time.max.ms {a.lag_ms}; {a.partitions} partitions per topic; producer acks=all, "
          f"idempotent, linger.ms 5")
    try:
        t0 = time.monotonic()
        cluster.start()
        print(f"cold start to three registered brokers: {time.monotonic() - t0:.2f} s")

        for size in (int(s) for s in a.sizes.split(",")):
            for rf, min_isr in ((3, 2), (1, 1)):
                label = f"{size} B, RF {rf} min.insync.replicas {min_isr}"
                for paced in (False, True):
                    topic = f"bench-rf{rf}-{size}-{'paced' if paced else 'full'}"
                    tr.create_topic(cluster, topic, partitions=a.partitions, rf=rf, min_isr=min_isr)
                    tr.wait_full_isr(cluster, topic, a.partitions, "ISR full", rf=rf)
                    if paced:
                        n, rate = int(a.rate * a.paced_seconds), a.rate
                    else:
                        n, rate = a.count, None
                    per_s, mib_s, p50, p99, summary = produce_figures(cluster, topic, n, size, rate)
                    how = f"paced at {a.rate}/s" if paced else "unpaced"
                    print(f"acks=all {label}, {how}: {per_s:.0f} records/s ({mib_s:.2f} MiB/s), latency p50 "
                          f"{p50:.1f} ms, p99 {p99:.1f} ms ({summary})")

        # Failover: kill -9 of partition 0's leader under an acks=all producer, --rounds times.
        back, lost_total = [], 0
        for r in range(a.rounds):
            topic = f"bench-failover-{r}"
            tr.create_topic(cluster, topic, partitions=a.partitions)
            try:
                tr.wait_full_isr(cluster, topic, a.partitions, "ISR full")
            except AssertionError as e:
                print(f"  round {r + 1}: {e}; ISRs {cluster.partitions(topic)} (running the round anyway)")
            run, killed, t_kill, notes = tr.leader_kill_run(cluster, topic, a.partitions)
            first = run.first_ack_after(t_kill, partition=0)
            log, highs = tr.read_log(cluster.brokers[killed], topic, a.partitions)
            missing, replaced = tr.lost_acknowledged(log, run.snapshot()[0])
            lost_total += len(missing) + len(replaced)
            if first:
                back.append((first - t_kill) * 1000)
            print(f"  round {r + 1}: kill -9 of node {killed}; first ack after it "
                  f"{f'{(first - t_kill) * 1000:.0f} ms' if first else 'never'}; producer {run.summary()}; "
                  f"acked-lost {len(missing) + len(replaced)} ({len(missing)} missing, {len(replaced)} replaced)"
                  + "".join(f"\n    {n}" for n in notes))
        if back:
            print(f"kill -9 of partition 0's leader, {a.rounds} rounds: first ack after the kill p50 "
                  f"{statistics.median(back):.0f} ms, max {max(back):.0f} ms ({len(back)} of {a.rounds} rounds acked); "
                  f"acked-lost {lost_total} (should be 0)")
        else:
            print(f"kill -9 of partition 0's leader, {a.rounds} rounds: no ack after any kill; acked-lost {lost_total}")
    except BaseException:
        died = [n for n in cluster.processes() if n.proc is not None and n.proc.poll() is not None]
        for n in died:
            print(f"bench-replication: {n.name} exited with {n.proc.returncode}; its log ends:\n{n.log_text()[-3000:]}")
        print(f"bench-replication: stopped; data and logs kept in {work}")
        work = None
        raise
    finally:
        cluster.close()
        if work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
