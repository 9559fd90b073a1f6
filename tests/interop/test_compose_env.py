"""Three nodes configured the way users' compose files configure Kafka: environment variables only, no
server.properties and no flags — once as the official apache/kafka image reads them (KAFKA_*), once as Bitnami's
(KAFKA_CFG_*) with confluentinc/cp-kafka's INTERNAL/EXTERNAL listener split. Every node is broker and controller
(KAFKA_PROCESS_ROLES=broker,controller, three voters), as in the compose files people copy; the official-image
nodes each sit on their own loopback address with the same ports, as compose services on their own host names do
(names themselves would need /etc/hosts, which a test must not edit). Checks: each listener
advertises its own endpoints, admin requests work through any node, and a consumer group reads what an
idempotent producer wrote through another node."""
import os
import re
import signal
import subprocess
import time

import kafka_wire as kw
from conftest import CLEAN_SHUTDOWN_LINE, tributary_bin
from test_quorum_nodes import brokers_of, create_topic, kcat_metadata, produce_and_consume
from test_raft_nodes import wait_for

CLUSTER_ID = "Q29tcG9zZUVudlRlc3QxMQ"


class EnvNode:
    """`tributary server` with no arguments, configured by `env` alone, in its own directory."""

    def __init__(self, directory, node_id, env, client_port, controller_port, host="localhost"):
        self.dir = directory
        self.host = host
        self.name = f"env-node-{node_id}"
        self.env = env
        self.port = client_port
        self.controller_port = controller_port
        self.proc = None
        self.log_path = os.path.join(directory, "server.log")

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_") and k != "CLUSTER_ID"}
        env.update(self.env)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([tributary_bin(), "server"], env=env, cwd=self.dir,
                                         stdout=log, stderr=subprocess.STDOUT)

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop_cleanly(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        self.proc = None
        assert rc == 0 and CLEAN_SHUTDOWN_LINE in self.log_text(), self.log_text()[-3000:]

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def start_cluster(tmp_path, make_env, hosts=None):
    """Three EnvNodes; `make_env(node_id, ports, voters)` gives each its variables. With `hosts` ({id: address}),
    every node uses the same three ports on its own loopback address, as compose services do (kafka1:9092,
    kafka2:9092, ...); otherwise all are on localhost with ports of their own."""
    ports = kw.free_ports(9)
    if hosts:
        plan = {i: ports[0:3] for i in (1, 2, 3)}
    else:
        hosts = {i: "localhost" for i in (1, 2, 3)}
        plan = {i: ports[(i - 1) * 3:(i - 1) * 3 + 3] for i in (1, 2, 3)}  # client, controller, second listener
    voters = ",".join(f"{i}@{hosts[i]}:{p[1]}" for i, p in plan.items())
    nodes = {}
    for i, p in plan.items():
        d = tmp_path / f"node-{i}"
        d.mkdir()
        env = make_env(i, p, voters, hosts[i])
        env["CLUSTER_ID"] = CLUSTER_ID
        nodes[i] = EnvNode(str(d), i, env, p[0], p[1], hosts[i])
    for n in nodes.values():
        n.start()
    return nodes, plan


def advertised(bootstrap):
    """The host:port of every broker kcat -L lists, sorted."""
    return sorted(re.findall(r"broker \d+ at (\S+:\d+)", kcat_metadata(bootstrap)))


def heartbeat_error(node, group):
    """Heartbeat v0 for `group` (generation 1, member "m") sent to `node`: its error code."""
    body = kw.string(group) + kw.int32(1) + kw.string("m")
    with kw.connect(node.bootstrap) as s:
        s.sendall(kw.frame(kw.request_header_v1(12, 0, 5) + body))
        r = kw.Reader(kw.read_response(s))
        r.int32()  # correlation id
        return r.int16()


def exercise(nodes, endpoints, topic):
    """Three brokers listed by every node; the endpoints of the listener asked; admin through a non-controller;
    produce through node 1, consume as a group through node 3."""
    assert wait_for("three brokers on every node", lambda: all(
        brokers_of(kcat_metadata(n.bootstrap)) == {1, 2, 3} for n in nodes.values()), 60), \
        {n.name: n.log_text()[-2000:] for n in nodes.values()}
    for n in nodes.values():
        assert advertised(n.bootstrap) == sorted(endpoints), kcat_metadata(n.bootstrap)
    assert create_topic(nodes[2], topic, partitions=6) is None, nodes[2].log_text()[-3000:]
    assert wait_for("the topic on every node", lambda: all(f'topic "{topic}"' in kcat_metadata(n.bootstrap)
                                                         for n in nodes.values()), 30)
    produce_and_consume(nodes[1], nodes[3], topic, 200)
    # A group request to a broker that does not coordinate the group: NOT_COORDINATOR (16), as Kafka answers;
    # exactly one node coordinates it (it answers for the unknown member instead).
    for group in (f"{topic}-group", "another-group", "g3"):
        codes = {i: heartbeat_error(n, group) for i, n in nodes.items()}
        assert sorted(c == 16 for c in codes.values()) == [False, True, True], (group, codes)


def test_official_image_environment(tmp_path):
    """Each node on its own loopback address (127.0.0.11-13) with the same ports, as three compose services."""
    def env(i, p, voters, host):
        return {
            "KAFKA_NODE_ID": str(i),
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": f"PLAINTEXT://{host}:{p[0]},CONTROLLER://{host}:{p[1]}",
            "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{host}:{p[0]}",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": voters,
            "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "3",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "3",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "2",
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            "KAFKA_LOG_DIRS": "kraft-combined-logs",
        }
    nodes, plan = start_cluster(tmp_path, env, hosts={i: f"127.0.0.1{i}" for i in (1, 2, 3)})
    try:
        exercise(nodes, [f"{n.host}:{n.port}" for n in nodes.values()], "compose-official")
        # The log directory named by KAFKA_LOG_DIRS (relative to the working directory) holds the data.
        for n in nodes.values():
            assert os.path.exists(os.path.join(n.dir, "kraft-combined-logs", "meta.properties")), os.listdir(n.dir)
        for n in nodes.values():
            n.stop_cleanly()
    finally:
        for n in nodes.values():
            n.kill()


def test_bitnami_environment_with_internal_and_external_listeners(tmp_path):
    def env(i, p, voters, host):
        return {
            "KAFKA_CFG_NODE_ID": str(i),
            "KAFKA_CFG_PROCESS_ROLES": "controller,broker",
            "KAFKA_CFG_LISTENERS": f"INTERNAL://localhost:{p[2]},EXTERNAL://localhost:{p[0]},CONTROLLER://localhost:{p[1]}",
            "KAFKA_CFG_ADVERTISED_LISTENERS": f"INTERNAL://localhost:{p[2]},EXTERNAL://localhost:{p[0]}",
            "KAFKA_CFG_LISTENER_SECURITY_PROTOCOL_MAP": "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "KAFKA_CFG_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_CFG_CONTROLLER_QUORUM_VOTERS": voters,
            "KAFKA_CFG_INTER_BROKER_LISTENER_NAME": "INTERNAL",
            "KAFKA_CFG_LOG_DIRS": "bitnami-data",
            # Bitnami's own settings, not configuration keys: read and ignored.
            "KAFKA_ENABLE_KRAFT": "yes",
            "KAFKA_KRAFT_CLUSTER_ID": CLUSTER_ID,
        }
    nodes, plan = start_cluster(tmp_path, env)
    try:
        # Clients on EXTERNAL see EXTERNAL endpoints; a client on INTERNAL sees INTERNAL ones.
        exercise(nodes, [f"localhost:{p[0]}" for p in plan.values()], "compose-bitnami")
        internal = f"localhost:{plan[2][2]}"
        assert advertised(internal) == sorted(f"localhost:{p[2]}" for p in plan.values()), kcat_metadata(internal)
        assert "Bitnami-style environment" in nodes[1].log_text()
        for n in nodes.values():
            n.stop_cleanly()
    finally:
        for n in nodes.values():
            n.kill()
