"""Three `tributary server` processes, combined broker+controller nodes with a three-voter
controller.quorum.voters: one KRaft quorum, driven by kcat and confluent-kafka as a Kafka cluster would be.

- every node's kcat -L lists the three brokers and one of them as the controller;
- an admin request sent to any node reaches the active controller (forwarding); partitions spread over the
  brokers; records produced through one node are consumed by a group through another;
- kill -9 of the active controller: another is elected and CreateTopics works again (the time is printed);
  the dead broker is fenced after broker.session.timeout.ms and its partitions lose their leader; restarted,
  it catches up, unfences and leads them again;
- SIGSTOP of a broker past the session timeout: fenced; SIGCONT: unfenced (times printed).

Times are printed, never asserted; every wait is bounded.
"""
import re
import shutil
import signal
import subprocess
import time

import pytest

import kafka_wire as kw
from conftest import BrokerProcess, start_all
from test_raft_nodes import wait_for

pytestmark = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed (apt: kcat)")

CLUSTER_ID = "UXVvcnVtTm9kZXNUZXN0MQ"
SESSION_MS = 4000


def kcat_metadata(bootstrap):
    r = subprocess.run(["kcat", "-b", bootstrap, "-L", "-m", "5"], capture_output=True, text=True, timeout=30)
    return r.stdout if r.returncode == 0 else ""


def brokers_of(text):
    """The broker ids kcat -L lists."""
    return {int(b) for b in re.findall(r"broker (\d+) at \S+", text)}


def controller_of(text):
    """The controller id kcat -L reports ("broker N at host:port (controller)"), or None."""
    m = re.search(r"broker (\d+) at \S+ \(controller\)", text)
    return int(m.group(1)) if m else None


def leaders_of(text, topic):
    """{partition: leader} of `topic` in kcat -L output."""
    block = text.split(f'topic "{topic}"', 1)
    if len(block) < 2:
        return {}
    section = block[1].split("topic \"", 1)[0]
    return {int(p): int(l) for p, l in re.findall(r"partition (\d+), leader (-?\d+)", section)}


def quorum_leader(nodes):
    """The raft leader id: the node of `nodes` whose controller listener answers DescribeQuorum v0 (only the
    leader does; the others answer NOT_LEADER_OR_FOLLOWER), or None."""
    for node in nodes:
        leader = describe_quorum(node)
        if leader is not None:
            return leader
    return None


def describe_quorum(node):
    return kw.describe_quorum_leader(node.controller_port)


def admin_call(node, call):
    """Runs `call(admin)` -> futures dict; the error name of the first failure, or None on success."""
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": node.bootstrap})
    try:
        for f in call(admin).values():
            f.result(timeout=30)
        return None
    except Exception as e:  # KafkaException carrying the KafkaError
        err = e.args[0] if e.args else e
        return getattr(err, "name", lambda: str(err))()


def create_topic(node, name, partitions=1):
    from confluent_kafka.admin import NewTopic
    return admin_call(node, lambda a: a.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                                                        operation_timeout=10))


def wait_for_brokers(nodes, expected, what, seconds=60):
    """Waits until kcat -L of every node in `nodes` lists exactly `expected` brokers; the seconds it took."""
    t0 = time.monotonic()
    assert wait_for(what, lambda: all(brokers_of(kcat_metadata(n.bootstrap)) == expected for n in nodes), seconds), \
        {n.name: kcat_metadata(n.bootstrap) for n in nodes}
    return time.monotonic() - t0


def produce_and_consume(producer_node, consumer_node, topic, count):
    from confluent_kafka import Consumer, Producer
    p = Producer({"bootstrap.servers": producer_node.bootstrap, "enable.idempotence": True, "linger.ms": 5})
    for i in range(count):
        p.produce(topic, key=str(i).encode(), value=f"v{i}".encode())
    assert p.flush(30) == 0, "records left unacknowledged"
    c = Consumer({"bootstrap.servers": consumer_node.bootstrap, "group.id": f"{topic}-group",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    seen = set()
    deadline = time.monotonic() + 60
    while len(seen) < count and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            seen.add(m.key().decode())
    c.close()
    assert seen == {str(i) for i in range(count)}, f"consumed {len(seen)} of {count}"


def raw_error(node, request, parse, topic_index=0):
    """The first partition's error code of a raw request sent to `node`."""
    with kw.connect(node.bootstrap) as s:
        s.sendall(request)
        topics = parse(kw.read_response(s))[1]
        return topics[topic_index][1][0]["error_code"]


def combined_nodes(tmp_path, monkeypatch, cluster_id, extra=()):
    """Three combined broker+controller nodes (not started) of one three-voter quorum, by node id."""
    monkeypatch.setenv("CLUSTER_ID", cluster_id)
    nodes = {i: BrokerProcess(str(tmp_path / f"node-{i}" / "data"), name=f"node-{i}") for i in (1, 2, 3)}
    for i in nodes:
        (tmp_path / f"node-{i}").mkdir()
    voters = ",".join(f"{i}@localhost:{n.controller_port}" for i, n in nodes.items())
    for i, n in nodes.items():
        n.overrides = ["process.roles=broker,controller", f"node.id={i}", "controller.listener.names=CONTROLLER",
                       f"controller.quorum.voters={voters}", "broker.heartbeat.interval.ms=500", *extra]
    return nodes


def test_three_combined_nodes_form_one_cluster(tmp_path, monkeypatch):
    nodes = combined_nodes(tmp_path, monkeypatch, CLUSTER_ID, [f"broker.session.timeout.ms={SESSION_MS}"])
    stopped = None
    try:
        start_all(nodes.values(), timeout=30)
        all_ids = set(nodes)

        # Every node lists the three brokers and names one of them as the controller.
        took = wait_for_brokers(nodes.values(), all_ids, "three brokers in kcat -L of every node")
        print(f"\n[quorum] three brokers registered and listed by every node after {took:.2f}s")
        for n in nodes.values():
            assert controller_of(kcat_metadata(n.bootstrap)) in all_ids

        # CreateTopics on every node (the non-controllers forward it); partitions spread over the brokers; every
        # node's metadata agrees on the leaders.
        for i, n in nodes.items():
            assert create_topic(n, f"quorum-{i}", partitions=6) is None, n.log_text()[-4000:]
        assert wait_for("quorum-1..3 with the same leaders on every node", lambda: len({
            str([leaders_of(kcat_metadata(n.bootstrap), f"quorum-{i}") for i in nodes]) for n in nodes.values()}) == 1
            and all(len(leaders_of(kcat_metadata(nodes[1].bootstrap), f"quorum-{i}")) == 6 for i in nodes))
        leaders = leaders_of(kcat_metadata(nodes[1].bootstrap), "quorum-1")
        assert set(leaders.values()) == all_ids, leaders
        produce_and_consume(nodes[1], nodes[2], "quorum-1", 300)
        # Only the leader serves a partition: a produce or fetch sent to another broker gets
        # NOT_LEADER_OR_FOLLOWER (6), as from Kafka; the leader answers 0.
        batch = kw.record_batch([(b"k", b"raw", [])])
        for p, leader in leaders.items():
            for i, n in nodes.items():
                want = 0 if i == leader else 6
                assert raw_error(n, kw.produce_v3(7, "quorum-1", p, batch), kw.parse_produce_v3) == want, (p, leader, i)
                assert raw_error(n, kw.fetch_v4(8, "quorum-1", p), kw.parse_fetch_v4) == want, (p, leader, i)

        # kill -9 of the active controller: a new one is elected and admin requests work again.
        active = wait_for("a raft leader", lambda: quorum_leader(nodes.values()))
        assert active in all_ids
        killed = nodes[active]
        rest = {i: n for i, n in nodes.items() if i != active}
        t0 = time.monotonic()
        killed.kill()
        survivor = next(iter(rest.values()))
        assert wait_for("CreateTopics after the controller's kill -9",
                        lambda: create_topic(survivor, "after-kill") is None, 60), survivor.log_text()[-4000:]
        admin_back = time.monotonic() - t0
        new_active = quorum_leader(rest.values())
        print(f"[quorum] kill -9 of active controller {active}: CreateTopics through node {survivor.name} worked "
              f"again after {admin_back:.2f}s; new raft leader {new_active}")
        assert new_active in rest

        # The dead broker is fenced once its session runs out; its partitions lose their leader (RF 1).
        fenced = wait_for_brokers(rest.values(), set(rest), "the killed broker fenced") + admin_back
        print(f"[quorum] killed broker {active} fenced {fenced:.2f}s after the kill (session {SESSION_MS} ms)")
        assert wait_for("its partitions without a leader", lambda: all(
            leaders_of(kcat_metadata(survivor.bootstrap), "quorum-1")[p] == -1 for p, l in leaders.items() if l == active))

        # Restarted on its directory, it catches up, unfences and leads its partitions again.
        t0 = time.monotonic()
        killed.start(timeout=30)
        wait_for_brokers(nodes.values(), all_ids, "the restarted broker unfenced")
        assert wait_for("its partitions led again", lambda: leaders_of(kcat_metadata(survivor.bootstrap), "quorum-1") == leaders)
        print(f"[quorum] restarted node {active} unfenced and leading its partitions after {time.monotonic() - t0:.2f}s")
        assert "after-kill" in kcat_metadata(killed.bootstrap)
        produce_and_consume(killed, survivor, "quorum-2", 120)

        # SIGSTOP of a broker that is not the active controller, past the session timeout: fenced; SIGCONT: back.
        active = wait_for("a raft leader", lambda: quorum_leader(nodes.values()))
        victim_id = next(i for i in nodes if i != active)
        victim = nodes[victim_id]
        others = [n for i, n in nodes.items() if i != victim_id]
        t0 = time.monotonic()
        victim.proc.send_signal(signal.SIGSTOP)
        stopped = victim
        took = wait_for_brokers(others, all_ids - {victim_id}, "the stopped broker fenced")
        print(f"[quorum] SIGSTOP of broker {victim_id}: fenced after {took:.2f}s (session {SESSION_MS} ms)")
        victim.proc.send_signal(signal.SIGCONT)
        stopped = None
        took = wait_for_brokers(nodes.values(), all_ids, "the continued broker unfenced")
        print(f"[quorum] SIGCONT of broker {victim_id}: unfenced after {took:.2f}s")

        for n in nodes.values():
            n.stop_cleanly()
    finally:
        if stopped is not None and stopped.proc is not None:
            stopped.proc.send_signal(signal.SIGCONT)
        for n in nodes.values():
            n.kill()


def refuses(host, port):
    """True when nothing accepts on host:port."""
    import socket
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return False
    except OSError:
        return True


def test_client_port_opens_only_once_registered_and_caught_up(tmp_path, monkeypatch):
    """As Kafka's brokers: the client listener of a quorum's broker opens after the node registered and caught up
    with the metadata log, so no client reads a cache replayed from the node's own disk (or an empty one). One node
    of three alone has no quorum: its controller listener answers, its client port stays closed."""
    nodes = combined_nodes(tmp_path, monkeypatch, CLUSTER_ID, [f"broker.session.timeout.ms={SESSION_MS}"])
    try:
        lone = nodes[1].launch()
        assert wait_for("node 1's controller listener", lambda: not refuses("localhost", lone.controller_port), 30), \
            lone.log_text()[-3000:]
        # Two seconds of polling: without a second voter there is no leader, so no registration can happen.
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            assert lone.proc.poll() is None, lone.log_text()[-3000:]
            assert refuses("localhost", lone.port), "the client port opened before the broker registered"
            time.sleep(0.1)
        start_all(nodes.values(), timeout=30)
        # The first answer of every node already comes from a registered broker: it lists itself.
        for i, n in nodes.items():
            assert i in brokers_of(kcat_metadata(n.bootstrap)), (i, n.log_text()[-3000:])
        assert "client listeners open once this broker is registered" in lone.log_text()
        for n in nodes.values():
            n.stop_cleanly()
    finally:
        for n in nodes.values():
            n.kill()
