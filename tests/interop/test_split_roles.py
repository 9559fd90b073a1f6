"""Dedicated controllers: three `process.roles=controller` nodes form the KRaft quorum and three
`process.roles=broker` nodes follow it as observers and register with its active controller — Kafka's "isolated
controllers" layout (config/split, `scripts/cluster.sh --split`).

- every broker's kcat -L lists brokers 4, 5 and 6 and no controller node;
- CreateTopics through a broker reaches the active controller; records produced through one broker are consumed by
  a group through another (FindCoordinator names the broker leading the group's __consumer_offsets partition);
- transactions whose coordinator, partitions and consumer sit on different brokers: two commits and an abort,
  read_committed sees exactly the committed records (AddPartitionsToTxn verification and WriteTxnMarkers cross
  brokers);
- kill -9 of the active controller: another controller is elected and CreateTopics works again (time printed);
- every node stops cleanly on SIGTERM.

Times are printed, never asserted; every wait is bounded.
"""
import shutil
import time

import pytest

import kafka_wire as kw
from conftest import BrokerProcess, start_all
from test_quorum_nodes import brokers_of, controller_of, create_topic, kcat_metadata, produce_and_consume
from test_raft_nodes import wait_for

pytestmark = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed (apt: kcat)")

CLUSTER_ID = "U3BsaXRSb2xlc1Rlc3QxMg"


class RoleProcess(BrokerProcess):
    """A node with one role: a controller binds only its CONTROLLER listener, a broker only PLAINTEXT (Kafka
    refuses the controller listener in a broker-only node's listeners)."""

    def __init__(self, log_dir, role, name):
        super().__init__(log_dir, name=name)
        self.role = role
        if role == "controller":
            self.port = self.controller_port  # start() waits for this port to accept

    def command(self):
        listeners = (f"CONTROLLER://localhost:{self.controller_port}" if self.role == "controller"
                     else f"PLAINTEXT://localhost:{self.port}")
        cmd = [super().command()[0], "server", "--override", f"listeners={listeners}",
               "--override", f"log.dirs={self.log_dir}"]
        if self.role == "broker":
            cmd += ["--override", f"advertised.listeners=PLAINTEXT://localhost:{self.port}"]
        for o in self.overrides:
            cmd += ["--override", o]
        return cmd


def transactions_across_brokers(producer_node, consumer_node, topic):
    """Two committed transactions of 10 records and one aborted between them; the committed keys read_committed
    consumes."""
    from confluent_kafka import Consumer, Producer
    for n, commit in enumerate((True, False, True)):
        p = Producer({"bootstrap.servers": producer_node.bootstrap, "transactional.id": f"{topic}-txn-{n}"})
        p.init_transactions(30)
        p.begin_transaction()
        for i in range(10):
            p.produce(topic, key=f"t{n}-{i}".encode(), value=b"x", partition=i % 6)
        if commit:
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
    c = Consumer({"bootstrap.servers": consumer_node.bootstrap, "group.id": f"{topic}-reader",
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    c.subscribe([topic])
    seen = set()
    deadline = time.monotonic() + 30
    idle_until = None
    while time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            seen.add(m.key().decode())
        if len(seen) >= 20:
            # Keep polling a little: an aborted record delivered late would show up here.
            idle_until = idle_until or time.monotonic() + 2
            if time.monotonic() > idle_until:
                break
    c.close()
    return seen


def split_nodes(tmp_path, monkeypatch, cluster_id, broker_ids, extra=()):
    """Controllers 1-3 (the voters) and broker-only nodes `broker_ids` (not started): (controllers, brokers, every)."""
    monkeypatch.setenv("CLUSTER_ID", cluster_id)
    controllers = {i: RoleProcess(str(tmp_path / f"controller-{i}" / "data"), "controller", f"controller-{i}")
                   for i in (1, 2, 3)}
    brokers = {i: RoleProcess(str(tmp_path / f"broker-{i}" / "data"), "broker", f"broker-{i}") for i in broker_ids}
    every = {**controllers, **brokers}
    for n in every.values():
        (tmp_path / n.name).mkdir()
    voters = ",".join(f"{i}@localhost:{n.controller_port}" for i, n in controllers.items())
    common = ["controller.listener.names=CONTROLLER", f"controller.quorum.voters={voters}",
              "broker.heartbeat.interval.ms=500", *extra]
    for i, n in controllers.items():
        n.overrides = ["process.roles=controller", f"node.id={i}", "listener.security.protocol.map=CONTROLLER:PLAINTEXT",
                       *common]
    for i, n in brokers.items():
        n.overrides = ["process.roles=broker", f"node.id={i}", "inter.broker.listener.name=PLAINTEXT",
                       "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT", *common]
    return controllers, brokers, every


def test_dedicated_controllers_and_broker_only_nodes(tmp_path, monkeypatch):
    controllers, brokers, every = split_nodes(tmp_path, monkeypatch, CLUSTER_ID, (4, 5, 6), ["broker.session.timeout.ms=4000"])
    try:
        t0 = time.monotonic()
        start_all(every.values(), timeout=30)
        ids = set(brokers)
        assert wait_for("brokers 4, 5, 6 in every broker's kcat -L",
                        lambda: all(brokers_of(kcat_metadata(b.bootstrap)) == ids for b in brokers.values()), 60), \
            {b.name: kcat_metadata(b.bootstrap) + b.log_text()[-2000:] for b in brokers.values()}
        print(f"\n[split] three controllers + three brokers, all registered, after {time.monotonic() - t0:.2f}s")
        for b in brokers.values():
            # Clients are told a live broker, never a controller-only node (KRaft's Metadata does the same).
            assert controller_of(kcat_metadata(b.bootstrap)) in ids

        assert create_topic(brokers[5], "split-a", partitions=6) is None, brokers[5].log_text()[-4000:]
        assert wait_for("split-a on every broker", lambda: all('topic "split-a"' in kcat_metadata(b.bootstrap)
                                                                 for b in brokers.values()))
        produce_and_consume(brokers[4], brokers[6], "split-a", 300)

        assert create_topic(brokers[4], "split-txn", partitions=6) is None
        seen = transactions_across_brokers(brokers[4], brokers[6], "split-txn")
        expected = {f"t{n}-{i}" for n in (0, 2) for i in range(10)}
        assert seen == expected, f"read_committed saw {sorted(seen - expected)} extra, {sorted(expected - seen)} missing"

        leader = wait_for("a raft leader", lambda: next(
            (l for c in controllers.values() if (l := kw.describe_quorum_leader(c.controller_port)) is not None), None))
        assert leader in controllers
        t0 = time.monotonic()
        controllers[leader].kill()
        assert wait_for("CreateTopics after the active controller's kill -9",
                        lambda: create_topic(brokers[6], "split-after-kill") is None, 60), brokers[6].log_text()[-4000:]
        print(f"[split] kill -9 of active controller {leader}: CreateTopics through broker 6 worked again after "
              f"{time.monotonic() - t0:.2f}s")
        assert wait_for("split-after-kill on broker 4", lambda: 'topic "split-after-kill"' in kcat_metadata(brokers[4].bootstrap))

        for n in [*brokers.values(), *(c for i, c in controllers.items() if i != leader)]:
            n.stop_cleanly()
    finally:
        for n in every.values():
            n.kill()
