"""A network partition of three replicating nodes, each in a Linux network namespace of its own that the test
creates (root only; skipped otherwise).

Every node (process.roles=broker,controller, node.id 1..3) has two interfaces:
- "cluster": a veth into a bridge (in a namespace of its own), 10.201.0.N/24, carrying the INTERNAL listener
  (inter.broker.listener.name) on :9094 and the CONTROLLER listener on :9093 (the quorum voters);
- "client": a veth pair to the root namespace, 10.202.X.2 on the node, 10.202.X.1 in the root namespace, carrying
  the EXTERNAL listener on :9092, which the test's clients use.

The fault is the Jepsen one: `ip link set cluster0 down` inside the leader's namespace cuts the leader of the
partition off its peers and the quorum while clients still reach it. Longer than broker.session.timeout.ms, so
the majority fences it and elects a new leader; then the link comes up again.

Checked, with an idempotent acks=all producer writing all along (bootstrap: the three client addresses), a second
one bootstrapped at the majority from the election on, and consumers reading all along (one through every node, one
through the isolated node only):
- no node crashes (a Swift trap's line is the failure message);
- every acks=all-acknowledged record is in the final log at exactly its acknowledged offset with its value, no
  record twice, offsets strictly increasing, the final read reaches the high watermark;
- the consumer saw only records that are in the final log at the offset it saw them at;
- the old leader rejoins the ISR after the heal (every node's Metadata says so), and every node's log on disk is
  the final log up to the high watermark (`tributary dump-log` after the nodes are stopped).
acks=1 records sent only to the isolated leader while it is cut off may be acknowledged and then lost (acks=1
promises nothing): they are counted and printed, never asserted. Times are printed, never asserted; every wait is
bounded; about 25 s.

    sudo TRIBUTARY_BIN=/path/to/tributary python3 -m pytest -s tests/interop/test_replication_partition.py
"""
import glob
import os
import re
import subprocess
import time

import pytest

pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
from confluent_kafka import KafkaException  # noqa: E402

from conftest import BrokerProcess, tributary_bin  # noqa: E402
from test_raft_nodes import wait_for  # noqa: E402
from test_replication import (ACKS_ONE, CLUSTER_ID, LAG_MS, MIN_ISR, SESSION_MS, Cluster, ProducerRun,  # noqa: E402
                              Watcher, check_log, check_seen, close_and_report, create_topic, full_isr, read_log,
                              value_of)

ISOLATION_S = 12  # > SESSION_MS: the majority fences the cut-off leader
CLIENT_PORT, CONTROLLER_PORT, INTERNAL_PORT = 9092, 9093, 9094


def sh(*args, check=True):
    """Runs `ip ...` (or another command); the CompletedProcess. A failure raises with the command's stderr."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


class Network:
    """A bridge namespace and three node namespaces, named with a per-process prefix so that runs side by side do
    not meet. `close` removes everything it made, whatever `setup` got to."""

    def __init__(self, nodes=(1, 2, 3)):
        self.prefix = f"trp{os.getpid() % 100000}"
        self.nodes = nodes
        self.bridge_ns = f"{self.prefix}br"
        self.ns = {i: f"{self.prefix}n{i}" for i in nodes}
        self.root_veth = {i: f"{self.prefix}x{i}" for i in nodes}
        self.made_ns = []
        base = self._free_client_base()
        self.client_net = {i: f"10.202.{base + i}" for i in nodes}

    def _free_client_base(self):
        """A third octet base whose 10.202.(base+N).0/24 the root namespace has no route for yet."""
        routes = sh("ip", "-4", "route", "show").stdout
        for k in range(84):
            base = ((os.getpid() + k) % 84) * 3
            if not any(f"10.202.{base + i}." in routes for i in self.nodes):
                return base
        pytest.skip("no free 10.202.x.0/24 subnets in the root namespace")

    def cluster_addr(self, i):
        return f"10.201.0.{i}"

    def client_addr(self, i):
        return f"{self.client_net[i]}.2"

    def _add_ns(self, name):
        sh("ip", "netns", "add", name)
        self.made_ns.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")

    def setup(self):
        self._add_ns(self.bridge_ns)
        sh("ip", "-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.bridge_ns, "link", "set", "br0", "up")
        for i, ns in self.ns.items():
            self._add_ns(ns)
            sh("ip", "-n", ns, "link", "add", "cluster0", "type", "veth", "peer", "name", f"port{i}", "netns",
               self.bridge_ns)
            sh("ip", "-n", self.bridge_ns, "link", "set", f"port{i}", "master", "br0", "up")
            sh("ip", "-n", ns, "addr", "add", f"{self.cluster_addr(i)}/24", "dev", "cluster0")
            sh("ip", "-n", ns, "link", "set", "cluster0", "up")
            sh("ip", "link", "add", self.root_veth[i], "type", "veth", "peer", "name", "client0", "netns", ns)
            sh("ip", "-n", ns, "addr", "add", f"{self.client_addr(i)}/24", "dev", "client0")
            sh("ip", "-n", ns, "link", "set", "client0", "up")
            sh("ip", "addr", "add", f"{self.client_net[i]}.1/24", "dev", self.root_veth[i])
            sh("ip", "link", "set", self.root_veth[i], "up")

    def cut(self, i):
        sh("ip", "-n", self.ns[i], "link", "set", "cluster0", "down")

    def heal(self, i):
        sh("ip", "-n", self.ns[i], "link", "set", "cluster0", "up")

    def describe(self):
        return "\n".join(f"{ns}: " + sh("ip", "-n", ns, "-br", "addr", check=False).stdout.strip().replace("\n", "; ")
                         for ns in self.made_ns)

    def close(self):
        for i, veth in self.root_veth.items():  # deleting a namespace deletes its veth ends and their peers too
            sh("ip", "link", "del", veth, check=False)
        for ns in reversed(self.made_ns):
            sh("ip", "netns", "del", ns, check=False)
        self.made_ns = []


class NetnsNode(BrokerProcess):
    """A combined node started with `ip netns exec` (which execs, so the Popen is the server itself); clients
    reach it on its client address."""

    def __init__(self, log_dir, i, net, overrides):
        super().__init__(log_dir, overrides=overrides, name=f"node-{i}")
        self.id, self.net = i, net
        self.host, self.port, self.controller_port = net.client_addr(i), CLIENT_PORT, CONTROLLER_PORT

    def command(self):
        ext, internal = self.net.client_addr(self.id), self.net.cluster_addr(self.id)
        cmd = ["ip", "netns", "exec", self.net.ns[self.id], tributary_bin(), "server",
               "--override", f"listeners=EXTERNAL://{ext}:{CLIENT_PORT},INTERNAL://{internal}:{INTERNAL_PORT},"
                             f"CONTROLLER://{internal}:{CONTROLLER_PORT}",
               "--override", f"advertised.listeners=EXTERNAL://{ext}:{CLIENT_PORT},INTERNAL://{internal}:{INTERNAL_PORT}",
               "--override", f"log.dirs={self.log_dir}"]
        for o in self.overrides:
            cmd += ["--override", o]
        return cmd


class NetnsCluster(Cluster):
    """Cluster (of test_replication) whose three combined nodes live in the namespaces of `net`."""

    def __init__(self, root, net):  # noqa: super().__init__ would make loopback nodes
        voters = ",".join(f"{i}@{net.cluster_addr(i)}:{CONTROLLER_PORT}" for i in net.nodes)
        common = ["process.roles=broker,controller", f"controller.quorum.voters={voters}",
                  "controller.listener.names=CONTROLLER", "inter.broker.listener.name=INTERNAL",
                  "listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
                  f"broker.session.timeout.ms={SESSION_MS}", "broker.heartbeat.interval.ms=500",
                  f"replica.lag.time.max.ms={LAG_MS}"]
        self.brokers = {i: NetnsNode(os.path.join(root, f"node-{i}", "data"), i, net, [f"node.id={i}", *common])
                        for i in net.nodes}
        self.controllers = {}
        self.root, self.stopped = root, set()

    def tails(self, chars=1500):
        return "\n".join(f"--- {n.name} ({n.log_path if n.log_paths else 'not started'}) ends:\n"
                         f"{n.log_text()[-chars:]}" for n in self.brokers.values())


@pytest.fixture
def netns_cluster(tmp_path, monkeypatch):
    """A NetnsCluster started on a fresh Network; at the end every node is killed and the network removed, whatever
    happened."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    net = Network()
    try:
        net.setup()
    except (RuntimeError, OSError) as e:
        net.close()
        pytest.skip(f"cannot make network namespaces: {e}")
    monkeypatch.setenv("CLUSTER_ID", CLUSTER_ID)
    cluster = NetnsCluster(str(tmp_path), net)
    try:
        try:
            cluster.start()
        except (AssertionError, RuntimeError) as e:
            raise AssertionError(f"the cluster did not form over the bridge: {e}\n{net.describe()}\n{cluster.tails()}")
        yield cluster, net
    finally:
        if any(n.proc is not None for n in cluster.processes()):  # the test did not get to stop them itself
            close_and_report(cluster)
        net.close()
        print(f"\n[partition] logs: {tmp_path}")


# --- the log on disk ------------------------------------------------------------------------------------------


def disk_log(node, topic, partition=0):
    """[(offset, value)] of every record in the segments of `topic`-`partition` in `node`'s log directory, read by
    `tributary dump-log --print-data-log` (the node stopped), and the leader-epoch-checkpoint's text."""
    d = os.path.join(node.log_dir, f"{topic}-{partition}")
    segments = sorted(glob.glob(os.path.join(d, "*.log")))
    records = []
    if segments:
        out = subprocess.run([tributary_bin(), "dump-log", "--print-data-log", "--files", ",".join(segments)],
                             capture_output=True, text=True, timeout=60).stdout
        for line in out.splitlines():
            m = re.search(r"\boffset: (\d+)\b.*\bpayload: (\S*)", line)
            if m:
                records.append((int(m.group(1)), m.group(2)))
    try:
        with open(os.path.join(d, "leader-epoch-checkpoint")) as f:
            epochs = f.read().strip().replace("\n", " | ")
    except OSError:
        epochs = None
    return records, epochs


# --- the test -------------------------------------------------------------------------------------------------


def leader_of(cluster, topic, via):
    return cluster.partitions(topic, via).get(0, (None,))[0]


def active_controller(node):
    """The broker id `kcat -L` through `node` marks "(controller)", or None."""
    try:
        out = subprocess.run(["kcat", "-L", "-b", node.bootstrap, "-m", "5"], capture_output=True, text=True,
                             timeout=15).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"broker (\d+) at \S+ \(controller\)", out)
    return int(m.group(1)) if m else None


def crashes(cluster):
    """{node id: the line saying why} for every node that exited on its own (a Swift trap prints a
    "Precondition failed" or "Fatal error" line before its backtrace)."""
    out = {}
    for i, n in cluster.brokers.items():
        if n.proc is not None and n.proc.poll() is not None:
            why = re.search(r"^.*(Precondition failed|Fatal error|Assertion failed).*$", n.log_text(), re.M)
            out[i] = f"exit status {n.proc.returncode}: {why.group(0) if why else n.log_text()[-300:]!r}"
    return out


class PartitionRun:
    """The scenario's clients and what they got: an idempotent acks=all producer `run` bootstrapped at every node,
    writing all along; `major`, another one bootstrapped at the majority only, from the election of the new leader
    on; `lone`, an acks=1 producer bootstrapped at the isolated node only, during the cut; `watcher` (every node)
    and `lone_watcher` (the isolated node only) reading all along."""

    def __init__(self, cluster, topic, old):
        self.cluster, self.topic, self.old = cluster, topic, old
        self.others = [i for i in cluster.brokers if i != old]
        everyone = ",".join(n.bootstrap for n in cluster.brokers.values())
        self.watcher = Watcher(everyone, topic, 1)
        self.lone_watcher = Watcher(cluster.brokers[old].bootstrap, topic, 1)
        # request.timeout.ms (the Produce timeout the broker enforces) below the isolation: the isolated leader
        # answers the acks=all produces it cannot commit, one after another as a connection's requests are answered
        # in order. Until it learns of the new leader after the heal, `run` keeps writing to it (as with Kafka: its
        # metadata requests queue on the same connection), so `major` writes to the new leader during the cut.
        self.acks_all = {"message.timeout.ms": 20000, "request.timeout.ms": 5000}
        self.run = ProducerRun(everyone, topic, 100000, rate=100, flush_seconds=20, conf=self.acks_all)
        self.major = self.lone = None
        self.new = None
        self.t_cut = self.t_heal = None

    def majority_view(self):
        return self.cluster.partitions(self.topic, self.cluster.brokers[self.others[0]])

    def producers(self):
        return [r for r in (self.run, self.major, self.lone) if r is not None]

    def start_major(self):
        self.major = ProducerRun(",".join(self.cluster.brokers[i].bootstrap for i in self.others), self.topic, 100000,
                                 rate=100, first=2 * 10 ** 6, flush_seconds=20, conf=self.acks_all).start()

    def start_lone(self):
        # acks=1 to the isolated node alone: its metadata still names itself the leader.
        self.lone = ProducerRun(self.cluster.brokers[self.old].bootstrap, self.topic, 100000, rate=50, first=10 ** 6,
                                conf={**ACKS_ONE, "message.timeout.ms": 10000}, flush_seconds=15).start()

    def acked_during_cut(self, r):
        return sum(1 for _, _, at in r.snapshot()[0].values() if self.t_cut <= at < self.t_heal) if r else None

    def stop(self):
        for r in self.producers():
            r.stop.set()
        for r in self.producers():
            r.thread.join(60)

    def acked(self):
        """{record number: (partition, offset, ack time)} of both acks=all producers."""
        return {**self.run.snapshot()[0], **(self.major.snapshot()[0] if self.major else {})}


def cut_and_heal(net, p, notes):
    """The scenario up to the heal and the old leader's return to the ISR; what did not happen in time goes to
    `notes`."""
    cluster, topic, old = p.cluster, p.topic, p.old
    crashed = lambda: crashes(cluster)  # noqa: E731 -- waits end early when a node died
    wait_for("200 acks=all records acknowledged", lambda: len(p.run.snapshot()[0]) >= 200 or p.run.fatal, 30)
    wait_for("both watchers' first records", lambda: p.watcher.seen and p.lone_watcher.seen, 30)
    controller = active_controller(cluster.brokers[p.others[0]])

    p.t_cut = time.monotonic()
    net.cut(old)
    print(f"[partition] cut node {old} off after {len(p.run.snapshot()[0])} acks (the active controller was node "
          f"{controller})")
    p.start_lone()
    try:
        p.new = wait_for("a new leader named by the majority",
                         lambda: (lambda l: l if l not in (None, -1, old) else None)(leader_of(
                             cluster, topic, cluster.brokers[p.others[0]])), 30)
        print(f"[partition] isolation -> node {p.new} leads {topic}-0: {time.monotonic() - p.t_cut:.2f} s; "
              f"majority's view {p.majority_view()}, isolated node's view "
              f"{cluster.partitions(topic, cluster.brokers[old])}")
        p.start_major()
    except AssertionError as e:
        notes.append(f"{e}; majority's view {p.majority_view()}")
    time.sleep(max(0.0, p.t_cut + ISOLATION_S - time.monotonic()))

    p.lone.stop.set()
    p.t_heal = time.monotonic()
    net.heal(old)
    print(f"[partition] healed after {p.t_heal - p.t_cut:.2f} s; acks=all records acknowledged meanwhile: "
          f"{p.acked_during_cut(p.run)} (every node's producer), {p.acked_during_cut(p.major)} (majority's "
          f"producer); acks=1 to node {old}: {p.lone.summary()}; the active controller is node "
          f"{active_controller(cluster.brokers[p.others[0]])}")
    try:
        wait_for(f"node {old} back in the ISR (every node's view)", lambda: crashed() or all(
            full_isr(cluster, topic, 1, via=n) for n in cluster.brokers.values()), 60)
        if not crashed():
            print(f"[partition] heal -> node {old} back in the ISR: {time.monotonic() - p.t_heal:.2f} s; "
                  f"{cluster.partitions(topic)}")
    except AssertionError as e:
        notes.append(f"{e}; views {[cluster.partitions(topic, n) for n in cluster.brokers.values()]}\n"
                     f"{cluster.tails()}")
    try:  # some acks=all records from after the heal
        wait_for("acks=all acks for records sent after the heal",
                 lambda: crashed() or p.run.first_ack_after(p.t_heal), 30)
    except AssertionError as e:
        notes.append(str(e))
    if not crashed():
        time.sleep(2)


def test_isolated_leader_loses_no_acknowledged_record(netns_cluster, topic_name):
    cluster, net = netns_cluster
    topic = topic_name
    create_topic(cluster, topic, partitions=1)
    wait_for(f"{topic}: 3 replicas in the ISR", lambda: full_isr(cluster, topic, 1), 60)
    old = leader_of(cluster, topic, None)
    print(f"\n[partition] {topic}-0 {cluster.partitions(topic)} (leader, replicas, ISR); cutting node {old} "
          f"({net.cluster_addr(old)}) off its peers; clients reach it at {net.client_addr(old)}")

    notes = []
    p = PartitionRun(cluster, topic, old)
    p.watcher.start()
    p.lone_watcher.start()
    p.run.start()
    try:
        cut_and_heal(net, p, notes)
    finally:
        p.stop()
    print(f"[partition] acks=all producers: every node's {p.run.summary()}; majority's "
          f"{p.major.summary() if p.major else 'not started'}")
    crashed = crashes(cluster)
    if crashed:
        # Printed with the evidence on disk; the data checks below still run where a node can answer.
        print(f"[partition] NODES CRASHED: {crashed}")
        for i, n in cluster.brokers.items():
            records, epochs = disk_log(n, topic)
            print(f"[partition] node {i} on disk: {len(records)} records; leader-epoch-checkpoint: {epochs}")

    new = leader_of(cluster, topic, cluster.brokers[p.others[0]]) if p.others[0] not in crashed else None
    via = cluster.brokers[new] if new in cluster.brokers and new not in crashed else next(
        (n for i, n in cluster.brokers.items() if i not in crashed), None)
    problems = [f"node {i} crashed: {why}" for i, why in crashed.items()]
    log = None
    try:
        if via is None:
            raise RuntimeError("no node left to read from")
        log, highs = read_log(via, topic, 1, seconds=30)
        try:
            wait_for("both watchers at the final high watermark",
                     lambda: min(p.watcher.position(0), p.lone_watcher.position(0)) >= highs[0], 30)
        except AssertionError as e:
            notes.append(f"{e}: at {p.watcher.position(0)} and {p.lone_watcher.position(0)}, high watermark "
                         f"{highs[0]}")
    except (KafkaException, RuntimeError) as e:
        problems.append(f"the final log could not be read: {e}")
    finally:
        p.watcher.finish()
        p.lone_watcher.finish()
    assert log is not None, "\n".join(problems + notes)
    print(f"[partition] final log: {len(log[0])} records to high watermark {highs[0]} (read through node "
          f"{via.id}); watchers saw {len(p.watcher.seen)} (every node) and {len(p.lone_watcher.seen)} (node {old} "
          f"only); consumer errors {sorted(set(p.watcher.errors + p.lone_watcher.errors))}")

    acked_one = p.lone.snapshot()[0] if p.lone else {}
    at = {o: v for o, _, v in log[0]}
    lost_one = sorted(i for i, (_, o, _) in acked_one.items() if at.get(o) != value_of(i))
    print(f"[partition] acks=1 records to the isolated node {old}: {len(acked_one)} acknowledged, "
          f"{len(lost_one)} of them not in the final log at their acknowledged offset (acks=1 promises nothing)"
          + (f"; e.g. (record, offset) {[(i, acked_one[i][1]) for i in lost_one[:3]]}" if lost_one else ""))

    problems += check_log(log, highs, p.acked()) + check_seen(p.watcher.seen, log) + [
        f"the consumer bootstrapped at node {old} only: {x}" for x in check_seen(p.lone_watcher.seen, log)]

    # The nodes stopped: every node's log on disk against the final log, up to the high watermark.
    close_and_report(cluster)
    final = [(o, v.decode()) for o, _, v in log[0]]
    for i, n in cluster.brokers.items():
        records, epochs = disk_log(n, topic)
        if not crashed:  # else printed above
            print(f"[partition] node {i} on disk: {len(records)} records, last offset "
                  f"{records[-1][0] if records else None}; leader-epoch-checkpoint: {epochs}")
        if i not in crashed and records[:highs[0]] != final:
            diff = next((k for k, (a, b) in enumerate(zip(records, final)) if a != b), min(len(records), len(final)))
            problems.append(f"node {i}'s log on disk differs from the final log below the high watermark {highs[0]} "
                            f"from index {diff}: disk {records[diff:diff + 2]}, final {final[diff:diff + 2]}")

    assert not problems, "\n".join(problems + notes)
    assert p.watcher.seen and p.run.acked and p.major and p.major.acked, \
        "nothing produced or seen: the checks above proved nothing"
    assert not notes, "\n".join(notes)
