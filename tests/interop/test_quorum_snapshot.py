"""Metadata snapshots in a cluster of three `tributary server` processes (combined broker+controller nodes, KIP-630):
with metadata.log.max.record.bytes.between.snapshots=4096 and 8 KiB metadata segments, the nodes snapshot the
controller state and delete the log behind it. A node killed with -9 misses 40 CreateTopics and one
DeleteTopics (of a topic it knew); restarted on its directory, its own log is behind the leader's log start, so it
installs the leader's snapshot (FetchSnapshot), and its kcat -L then lists the same brokers, topics, partitions
and leaders as the others.

Times are printed, never asserted; every wait is bounded.
"""
import os
import re
import shutil
import time

import pytest

import kafka_wire as kw
from conftest import start_all
from test_quorum_nodes import admin_call, brokers_of, combined_nodes, create_topic, kcat_metadata, leaders_of, quorum_leader
from test_raft_nodes import wait_for

pytestmark = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed (apt: kcat)")

CLUSTER_ID = "UXVvcnVtU25hcHNob3RUZQ"
TOPICS = [f"snap-{i}" for i in range(40)]


def metadata_dir(node):
    return os.path.join(node.log_dir, "__cluster_metadata-0")


def checkpoints(node):
    return sorted(f for f in os.listdir(metadata_dir(node)) if f.endswith(".checkpoint"))


def view(node):
    """What kcat -L of `node` says: broker ids and, per topic, {partition: leader}; None if kcat failed."""
    text = kcat_metadata(node.bootstrap)
    if not text:
        return None
    topics = sorted(re.findall(r'topic "([^"]+)"', text))
    return brokers_of(text), {t: leaders_of(text, t) for t in topics}


def test_killed_node_catches_up_from_a_metadata_snapshot(tmp_path, monkeypatch):
    nodes = combined_nodes(tmp_path, monkeypatch, CLUSTER_ID, [
        "metadata.log.max.record.bytes.between.snapshots=4096", "metadata.log.segment.bytes=8192"])
    try:
        start_all(nodes.values(), timeout=30)
        assert wait_for("three brokers in kcat -L", lambda: all(
            (v := view(n)) is not None and v[0] == set(nodes) for n in nodes.values()), 60)
        active = wait_for("a raft leader", lambda: quorum_leader(nodes.values()))
        leader = nodes[active]
        # Three partitions: every node hosts one (the brokers are all unfenced: kcat -L lists them).
        assert create_topic(leader, "known-then-deleted", partitions=3) is None
        assert wait_for("the first topic on every node, a partition directory on each", lambda: all(
            "known-then-deleted" in (view(n) or (set(), {}))[1]
            and any(d.startswith("known-then-deleted-") for d in os.listdir(n.log_dir)) for n in nodes.values()), 60)

        # A node that is not the raft leader is killed; the cluster goes on without it.
        away_id = next(i for i in nodes if i != active)
        away = nodes[away_id]
        away.kill()
        for name in TOPICS:
            assert create_topic(leader, name, partitions=2) is None, leader.log_text()[-4000:]
        assert admin_call(leader, lambda a: a.delete_topics(["known-then-deleted"], operation_timeout=10)) is None

        # The leader snapshots and deletes the segments behind it: its first segment is gone.
        assert wait_for("a snapshot and the first segment deleted on the leader", lambda: checkpoints(leader)
                        and not os.path.exists(os.path.join(metadata_dir(leader), "00000000000000000000.log")), 60), \
            os.listdir(metadata_dir(leader))
        print(f"\n[quorum-snapshot] leader {active}: {checkpoints(leader)}; "
              f"node {away_id} had {checkpoints(away) or 'no snapshot'}")

        # Restarted, the killed node installs the leader's snapshot and agrees with the others.
        t0 = time.monotonic()
        away.start(timeout=30)
        others = [n for i, n in nodes.items() if i != away_id]

        def agreed():
            views = [view(n) for n in nodes.values()]
            return all(v is not None for v in views) and all(v == views[0] for v in views) \
                and views[0][0] == set(nodes) and set(TOPICS) <= set(views[0][1]) \
                and "known-then-deleted" not in views[0][1]
        assert wait_for("the restarted node's kcat -L equals the others'", agreed, 90), \
            {n.name: view(n) for n in nodes.values()}
        print(f"[quorum-snapshot] node {away_id} agreed with the others {time.monotonic() - t0:.2f}s after its restart; "
              f"its snapshots: {checkpoints(away)}")
        back = view(away)
        assert back == view(others[0])
        assert all(len(back[1][t]) == 2 and all(l in nodes for l in back[1][t].values()) for t in TOPICS), back
        assert checkpoints(away), "the restarted node holds no snapshot"
        # The deleted topic's partition directories are gone from the restarted node too.
        assert wait_for("no log of the deleted topic on the restarted node", lambda: not any(
            d.startswith("known-then-deleted-") for d in os.listdir(away.log_dir)), 30), os.listdir(away.log_dir)

        for n in nodes.values():
            n.stop_cleanly()
    finally:
        for n in nodes.values():
            n.kill()


def test_broker_only_node_catches_up_from_a_metadata_snapshot(tmp_path, monkeypatch):
    """The observer side: three dedicated controllers and two broker-only nodes; broker 5 is killed, the
    controllers snapshot and delete the log behind it, and broker 5 comes back as an observer that installs the
    leader's snapshot and lists what broker 4 lists."""
    from test_split_roles import split_nodes
    controllers, brokers, every = split_nodes(tmp_path, monkeypatch, CLUSTER_ID, (4, 5), [
        "metadata.log.max.record.bytes.between.snapshots=4096", "metadata.log.segment.bytes=8192"])
    try:
        start_all(every.values(), timeout=30)
        assert wait_for("brokers 4 and 5 in kcat -L", lambda: all(
            (v := view(b)) is not None and v[0] == set(brokers) for b in brokers.values()), 60)
        assert create_topic(brokers[4], "observer-before", partitions=2) is None
        assert wait_for("the first topic on broker 5", lambda: "observer-before" in (view(brokers[5]) or (set(), {}))[1], 60)
        brokers[5].kill()
        for name in TOPICS:
            assert create_topic(brokers[4], name, partitions=2) is None, brokers[4].log_text()[-4000:]
        assert admin_call(brokers[4], lambda a: a.delete_topics(["observer-before"], operation_timeout=10)) is None
        leader = wait_for("a raft leader", lambda: next(
            (l for c in controllers.values() if (l := kw.describe_quorum_leader(c.controller_port))
             is not None), None))
        active = controllers[leader]
        assert wait_for("a snapshot and the first segment deleted on the raft leader", lambda: checkpoints(active)
                        and not os.path.exists(os.path.join(metadata_dir(active), "00000000000000000000.log")), 60), \
            os.listdir(metadata_dir(active))

        t0 = time.monotonic()
        brokers[5].start(timeout=30)

        def agreed():
            a, b = view(brokers[4]), view(brokers[5])
            return a is not None and a == b and a[0] == set(brokers) and set(TOPICS) <= set(a[1]) \
                and "observer-before" not in a[1]
        assert wait_for("broker 5's kcat -L equals broker 4's", agreed, 90), (view(brokers[4]), view(brokers[5]))
        print(f"\n[quorum-snapshot] broker 5 (observer) agreed with broker 4 {time.monotonic() - t0:.2f}s after its "
              f"restart; leader {leader} snapshots {checkpoints(active)}, broker 5's {checkpoints(brokers[5])}")
        assert checkpoints(brokers[5]), "the restarted observer holds no snapshot"
        assert wait_for("no log of the deleted topic on broker 5", lambda: not any(
            d.startswith("observer-before-") for d in os.listdir(brokers[5].log_dir)), 30), os.listdir(brokers[5].log_dir)
        for n in every.values():
            n.stop_cleanly()
    finally:
        for n in every.values():
            n.kill()


def test_topics_created_after_the_newest_snapshot_keep_their_data_across_a_restart(tmp_path, monkeypatch):
    """At start-up a node loads its newest snapshot, then replays its own log after it: a topic created after that
    snapshot has its logs on disk and its creation still to be replayed, and must not be taken for one deleted while
    the node was away (replication factor 1: nothing could bring the records back)."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    nodes = combined_nodes(tmp_path, monkeypatch, CLUSTER_ID, [
        "metadata.log.max.record.bytes.between.snapshots=4096", "metadata.log.segment.bytes=8192"])
    try:
        start_all(nodes.values(), timeout=30)
        leader = nodes[wait_for("a raft leader", lambda: quorum_leader(nodes.values()))]
        for name in TOPICS[:20]:
            assert create_topic(leader, name, partitions=2) is None, leader.log_text()[-4000:]
        assert wait_for("a snapshot on every node", lambda: all(checkpoints(n) for n in nodes.values()), 60), \
            {n.name: checkpoints(n) for n in nodes.values()}
        # One small topic after the snapshots (its records are far below the 4 KiB that trigger the next one),
        # a partition on every node, 30 records.
        assert create_topic(leader, "after-snapshot", partitions=3) is None
        bootstrap = ",".join(n.bootstrap for n in nodes.values())
        p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
        for i in range(30):
            p.produce("after-snapshot", key=str(i).encode(), value=f"v{i}".encode(), partition=i % 3)
        assert p.flush(30) == 0
        for n in nodes.values():
            n.kill()
        start_all(nodes.values(), timeout=30)
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "after-snapshot-reader", "enable.auto.commit": False})
        try:
            c.assign([TopicPartition("after-snapshot", i, 0) for i in range(3)])
            seen = set()
            deadline = time.monotonic() + 60
            while len(seen) < 30 and time.monotonic() < deadline:
                m = c.poll(0.5)
                if m is not None and m.error() is None:
                    seen.add(m.value())
        finally:
            c.close()
        assert seen == {f"v{i}".encode() for i in range(30)}, \
            (len(seen), [line for n in nodes.values() for line in n.log_text().splitlines() if "deleted the log" in line][:5])
        for n in nodes.values():
            n.stop_cleanly()
    finally:
        for n in nodes.values():
            n.kill()
