"""KafkaClient through a leader move: three combined nodes (test_replication's cluster), a topic with replication
factor 3 made by bin/kafka-topics.sh, the console producer (idempotent, acks=all) fed lines while the partition's
leader is killed with kill -9. The producer must move to the new leader (NOT_LEADER_OR_FOLLOWER or a dropped
connection refresh its metadata) and deliver every line; the console consumer, bootstrapped from the survivors,
reads every line once, in order."""
import os
import subprocess
import time

import pytest

pytest.importorskip("confluent_kafka", reason="test_replication's cluster helpers use confluent-kafka")

from conftest import REPO_ROOT, tributary_bin  # noqa: E402
from test_replication import clusters, wait_full_isr  # noqa: E402,F401  (clusters is a fixture)

BIN = os.path.join(REPO_ROOT, "bin")


def script(name, *args):
    return [os.path.join(BIN, name), *args]


def test_console_producer_follows_a_killed_leader(clusters, topic_name):
    cluster = clusters()
    bootstrap = ",".join(n.bootstrap for n in cluster.brokers.values())
    env = dict(os.environ, TRIBUTARY_BIN=tributary_bin())
    created = subprocess.run(script("kafka-topics.sh", "--create", "--topic", topic_name, "--partitions", "1",
                                    "--replication-factor", "3", "--config", "min.insync.replicas=2",
                                    "--bootstrap-server", bootstrap), capture_output=True, timeout=60, env=env)
    assert created.returncode == 0, created
    wait_full_isr(cluster, topic_name, 1, "full ISR before the kill")

    lines = [f"line {i:05d}" for i in range(600)]
    producer = subprocess.Popen(script("kafka-console-producer.sh", "--topic", topic_name, "--bootstrap-server", bootstrap,
                                       "--producer-property", "linger.ms=5", "--producer-property", "batch.size=1024"),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        producer.stdin.write(("\n".join(lines[:300]) + "\n").encode())
        producer.stdin.flush()
        time.sleep(1.0)  # lets the first lines reach the first leader; nothing is asserted about time
        leader = cluster.partitions(topic_name)[0][0]
        cluster.brokers[leader].kill()
        cluster.stopped.add(leader)
        t0 = time.monotonic()
        out, err = producer.communicate(input=("\n".join(lines[300:]) + "\n").encode(), timeout=150)
    finally:
        if producer.poll() is None:
            producer.kill()
    print(f"\n[leader-move] killed leader {leader}; producer finished {time.monotonic() - t0:.1f}s later")
    assert producer.returncode == 0, err.decode(errors="replace")
    assert b"Error when sending" not in err, err.decode(errors="replace")

    survivors = ",".join(n.bootstrap for i, n in cluster.brokers.items() if i != leader)
    consumed = subprocess.run(script("kafka-console-consumer.sh", "--topic", topic_name, "--from-beginning",
                                     "--bootstrap-server", survivors, "--max-messages", str(len(lines)),
                                     "--timeout-ms", "30000"), capture_output=True, timeout=90, env=env)
    assert consumed.returncode == 0, consumed.stderr.decode(errors="replace")
    assert consumed.stdout.decode().splitlines() == lines
