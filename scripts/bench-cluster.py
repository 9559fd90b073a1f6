#!/usr/bin/env python3
"""Figures of a three-node KRaft cluster (three combined broker+controller nodes on loopback), issue 10 item 9:

- leader election after kill -9 of the raft leader: the time until another node answers DescribeQuorum as leader,
  and until a CreateTopics through a surviving node succeeds (p50 / max over --rounds rounds; the killed node is
  restarted and unfenced between rounds);
- metadata commands per second through the quorum: one-partition CreateTopics, one after another through a node
  that is not the controller (forwarded) and through the controller's own node, and --concurrent at once;
- the time until every other broker's Metadata shows a topic that CreateTopics just created;
- idle CPU (per cent of one core, over --idle seconds) and RSS of each node.

    python3 scripts/bench-cluster.py [--bin .build/release/tributary] [--rounds 20] [--topics 100]
                                     [--concurrent 32] [--idle 10]

Prints figures only; it asserts no timing. Starts its own nodes on free loopback ports in a temporary directory
and stops them at the end."""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
import kafka_wire as kw  # noqa: E402  (the interop tests' framing helpers)

CLUSTER_ID = "QmVuY2hDbHVzdGVyRmlnMQ"


free_ports = kw.free_ports


class Node:
    def __init__(self, binary, node_id, root, voters_of):
        self.id = node_id
        self.binary = binary
        self.port, self.cport = free_ports(2)
        self.dir = os.path.join(root, f"node-{node_id}")
        self.voters_of = voters_of
        self.proc = None
        self.starts = 0

    @property
    def bootstrap(self):
        return f"localhost:{self.port}"

    def start(self):
        self.starts += 1
        os.makedirs(self.dir, exist_ok=True)
        log = open(os.path.join(self.dir, f"server-{self.starts}.log"), "wb")
        overrides = [
            f"listeners=PLAINTEXT://localhost:{self.port},CONTROLLER://localhost:{self.cport}",
            f"advertised.listeners=PLAINTEXT://localhost:{self.port}", f"log.dirs={self.dir}/data",
            "process.roles=broker,controller", f"node.id={self.id}", "controller.listener.names=CONTROLLER",
            f"controller.quorum.voters={self.voters_of()}",
        ]
        cmd = [self.binary, "server"]
        for o in overrides:
            cmd += ["--override", o]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, CLUSTER_ID=CLUSTER_ID))
        log.close()

    def check_alive(self):
        """Stops the run, with the log's tail, when this node exited on its own."""
        if self.proc is not None and self.proc.poll() is not None:
            with open(os.path.join(self.dir, f"server-{self.starts}.log"), errors="replace") as f:
                tail = f.read()[-3000:]
            raise SystemExit(f"bench-cluster: node {self.id} exited with {self.proc.returncode}:\n{tail}")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def describe_quorum_leader(self):
        return kw.describe_quorum_leader(self.cport, timeout=1)

    def metadata_names(self):
        """The raw Metadata v1 response for all topics (names are searched in it), or b"" on an error."""
        try:
            with socket.create_connection(("localhost", self.port), timeout=2) as s:
                s.settimeout(2)
                s.sendall(kw.frame(kw.request_header_v1(3, 1, 1) + kw.int32(-1)))
                return kw.read_response(s)
        except OSError:
            return b""

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


def wait(what, condition, seconds=60, step=0.01):
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        r = condition()
        if r:
            return r
        time.sleep(step)
    raise SystemExit(f"bench-cluster: {what} not within {seconds}s")


def leader_of(nodes):
    for n in nodes:
        n.check_alive()
    for n in nodes:
        if n.proc is not None:
            leader = n.describe_quorum_leader()
            if leader is not None:
                return leader
    return None


def create(admin, name, partitions=1):
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                        operation_timeout=30, request_timeout=30)[name].result(timeout=60)


def try_create(admin, name):
    try:
        create(admin, name)
        return True
    except Exception:  # the controller is away: retried by the caller
        return False


def three_brokers(node):
    try:
        return len(AdminClient({"bootstrap.servers": node.bootstrap}).list_topics(timeout=5).brokers) == 3
    except Exception:
        return False


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    root_dir = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(root_dir, ".build", "release", "tributary"))
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--topics", type=int, default=100)
    p.add_argument("--concurrent", type=int, default=32)
    p.add_argument("--idle", type=float, default=10.0)
    a = p.parse_args()
    if not os.access(a.bin, os.X_OK):
        raise SystemExit(f"bench-cluster: no binary at {a.bin} (swift build -c release, or --bin)")
    work = tempfile.mkdtemp(prefix="bench-cluster-")
    nodes = []
    voters = lambda: ",".join(f"{n.id}@localhost:{n.cport}" for n in nodes)  # noqa: E731
    nodes.extend(Node(a.bin, i, work, voters) for i in (1, 2, 3))
    print(f"bench-cluster: three combined nodes from {a.bin}, data in {work}")
    try:
        t0 = time.monotonic()
        for n in nodes:
            n.start()
        wait("a raft leader", lambda: leader_of(nodes))
        wait("three registered brokers", lambda: all(three_brokers(n) for n in nodes))
        print(f"cold start to three unfenced brokers: {time.monotonic() - t0:.2f} s")

        # Idle CPU and RSS, before any load.
        time.sleep(2)
        before = [n.cpu_seconds() for n in nodes]
        time.sleep(a.idle)
        idle = [(n.cpu_seconds() - b) / a.idle * 100 for n, b in zip(nodes, before)]
        print("idle, three nodes: " + ", ".join(f"node {n.id} {c:.2f}% CPU {n.rss_mib():.1f} MiB RSS"
                                                  for n, c in zip(nodes, idle)))

        # CreateTopics one after another: forwarded (through a node that is not the leader) and direct.
        leader = leader_of(nodes)
        by_id = {n.id: n for n in nodes}
        follower = next(n for n in nodes if n.id != leader)
        for label, node in (("forwarded via node %d" % follower.id, follower), ("on the leader's node %d" % leader, by_id[leader])):
            admin = AdminClient({"bootstrap.servers": node.bootstrap})
            admin.list_topics(timeout=10)
            times = []
            t0 = time.monotonic()
            for i in range(a.topics):
                t1 = time.monotonic()
                create(admin, f"seq-{node.id}-{i}")
                times.append((time.monotonic() - t1) * 1000)
            total = time.monotonic() - t0
            print(f"CreateTopics (1 partition) one at a time, {label}: {a.topics / total:.0f}/s, "
                  f"p50 {statistics.median(times):.1f} ms, p99 {pct(times, 99):.1f} ms, max {max(times):.1f} ms")

        # Many at once, from separate clients spread over the nodes.
        clients = [AdminClient({"bootstrap.servers": nodes[i % 3].bootstrap}) for i in range(a.concurrent)]
        for c in clients:
            c.list_topics(timeout=10)
        barrier = threading.Barrier(a.concurrent + 1)
        errors = []

        def one(i):
            barrier.wait()
            try:
                for k in range(5):
                    create(clients[i], f"conc-{i}-{k}")
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(a.concurrent)]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.monotonic()
        for t in threads:
            t.join()
        total = time.monotonic() - t0
        print(f"CreateTopics (1 partition) from {a.concurrent} clients over the three nodes, 5 each: "
              f"{a.concurrent * 5 / total:.0f}/s{'; errors: ' + str(errors[:3]) if errors else ''}")

        # Time until the other brokers' Metadata shows a new topic.
        seen = []
        creators = [AdminClient({"bootstrap.servers": n.bootstrap}) for n in nodes]
        for c in creators:
            c.list_topics(timeout=10)
        for i in range(20):
            name = f"visible-{i}"
            others = [n for n in nodes if n is not nodes[i % 3]]
            t0 = time.monotonic()
            create(creators[i % 3], name)
            acked = time.monotonic()
            wait(f"{name} on the other nodes",
                 lambda: all(name.encode() in n.metadata_names() for n in others), step=0.002)
            seen.append(((time.monotonic() - acked) * 1000, (time.monotonic() - t0) * 1000))
        after_ack = [s[0] for s in seen]
        from_send = [s[1] for s in seen]
        print(f"a new topic in every other broker's Metadata: p50 {statistics.median(after_ack):.1f} ms after "
              f"the CreateTopics reply (max {max(after_ack):.1f}), p50 {statistics.median(from_send):.1f} ms "
              f"from the request (20 topics)")

        # kill -9 of the raft leader, --rounds times.
        elections, admin_back = [], []
        for r in range(a.rounds):
            leader = wait("a raft leader", lambda: leader_of(nodes))
            victim = by_id[leader]
            rest = [n for n in nodes if n is not victim]
            admins = [AdminClient({"bootstrap.servers": n.bootstrap}) for n in rest]
            for c in admins:
                c.list_topics(timeout=10)
            t0 = time.monotonic()
            victim.kill9()
            new_leader = wait("a new leader", lambda: (lambda l: l if l not in (None, leader) else None)(leader_of(rest)),
                              step=0.005)
            elections.append((time.monotonic() - t0) * 1000)
            wait("CreateTopics after the kill", lambda: try_create(admins[r % 2], f"kill-{r}"), step=0.01)
            admin_back.append((time.monotonic() - t0) * 1000)
            print(f"  round {r + 1}: leader {leader} killed; node {new_leader} leads after {elections[-1]:.0f} ms, "
                  f"CreateTopics back after {admin_back[-1]:.0f} ms")
            victim.start()
            wait("the killed node back and unfenced", lambda: all(three_brokers(n) for n in nodes), seconds=90, step=0.1)
        print(f"kill -9 of the leader, {a.rounds} rounds: new leader p50 {statistics.median(elections):.0f} ms, "
              f"max {max(elections):.0f} ms; CreateTopics back p50 {statistics.median(admin_back):.0f} ms, "
              f"max {max(admin_back):.0f} ms")
    finally:
        for n in nodes:
            n.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
