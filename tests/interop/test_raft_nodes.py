"""Three `tributary debug raft-node` processes on loopback: kill -9 the leader (three rounds), a new leader takes
over and appends continue, the killed node restarts on its directory and catches up; every pair of nodes that
reports the same applied offset reports the same record count and digest (the same committed prefix).

Times are printed, never asserted; every wait is bounded.
"""
import os
import signal
import subprocess
import tempfile
import threading
import time

from conftest import tributary_bin


from kafka_wire import free_ports  # noqa: E402,F401  (re-exported: other tests import it from here)


class RaftNodeProcess:
    def __init__(self, node_id, voters, root):
        self.node_id = node_id
        self.voters = voters
        self.dir = os.path.join(root, f"node-{node_id}")
        self.lines = []
        self.lock = threading.Lock()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [tributary_bin(), "debug", "raft-node", "--id", str(self.node_id), "--voters", self.voters,
             "--dir", self.dir, "--snapshot-bytes", "4096"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        proc = self.proc
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for line in proc.stdout:
            with self.lock:
                self.lines.append((time.monotonic(), line.strip()))

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def states(self):
        out = {}
        for _, line in self.snapshot():
            parts = line.split()
            if parts and parts[0] == "STATE":
                out[int(parts[1])] = (int(parts[2]), int(parts[3]))
        return out

    def leader_epochs(self, since=0.0):
        return [int(line.split()[1]) for t, line in self.snapshot() if line.startswith("LEADER ") and t >= since]

    def acks(self, since=0.0):
        return [line for t, line in self.snapshot() if line.startswith("ACK ") and t >= since]


# The scripts that reuse the tests' helpers (scripts/bench-replication.py, scripts/fault-rounds.py) turn the
# progress lines off.
PROGRESS = True


def wait_for(what, condition, seconds=60):
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        result = condition()
        if result:
            if PROGRESS:
                print(f"[raft-nodes] {what}: {time.monotonic() - start:.3f} s")
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {seconds} s")


def current_leader(nodes):
    """The running node whose latest LEADER line has the highest epoch of all."""
    best = None
    for n in nodes:
        if n.proc.poll() is not None:
            continue
        epochs = n.leader_epochs()
        if epochs and (best is None or epochs[-1] > best[1]):
            best = (n, epochs[-1])
    return best


def test_kill9_leader_three_rounds():
    ports = free_ports(3)
    voters = ",".join(f"{i + 1}@127.0.0.1:{p}" for i, p in enumerate(ports))
    root = tempfile.mkdtemp(prefix="raft-nodes-")
    nodes = [RaftNodeProcess(i + 1, voters, root) for i in range(3)]
    try:
        for n in nodes:
            n.start()
        wait_for("first leader", lambda: current_leader(nodes))
        for round_ in range(3):
            leader, epoch = current_leader(nodes)
            wait_for(f"round {round_}: appends at leader {leader.node_id}", lambda: len(leader.acks()) >= 5)
            killed_at = time.monotonic()
            leader.kill9()
            new = wait_for(f"round {round_}: new leader after kill -9 of node {leader.node_id}",
                           lambda: next(((n, e) for n in nodes if n is not leader and n.proc.poll() is None
                                         for e in n.leader_epochs(since=killed_at) if e > epoch), None))
            new_leader = new[0]
            wait_for(f"round {round_}: appends at the new leader {new_leader.node_id}",
                     lambda: len(new_leader.acks(since=killed_at)) >= 5)
            target = max(new_leader.states() or {0: None})
            leader.start()
            wait_for(f"round {round_}: node {leader.node_id} restarted and caught up past {target}",
                     lambda: max(leader.states() or {-1: None}) >= target)
        # Same applied offset => same committed prefix (count and digest), on every pair of nodes.
        states = [n.states() for n in nodes]
        compared = 0
        for i in range(3):
            for j in range(i + 1, 3):
                for offset in set(states[i]) & set(states[j]):
                    assert states[i][offset] == states[j][offset], (i + 1, j + 1, offset)
                    compared += 1
        print(f"[raft-nodes] {compared} STATE reports compared across nodes")
        assert compared > 0
    finally:
        for n in nodes:
            n.stop()
