"""Fault rounds on three real nodes (issue 11, item 5): one seeded fault a round under an idempotent acks=all
producer, a transactional producer and a read_committed consumer group; the cluster heals after each round; at the
end a checker holds the cluster to everything it acknowledged.

Faults (one node at a time, as replication factor 3 with min.insync.replicas=2 promises to survive):
- kill_leader: kill -9 of the broker leading a data partition; restarted once that partition acks again;
- kill_controller: kill -9 of the active controller (the Raft leader); restarted once a new one is elected;
- sigstop: SIGSTOP of a node past broker.session.timeout.ms, then SIGCONT;
- torn_restart: kill -9 of a node, the unflushed tail of each of its partition logs cut at a random byte above its
  recovery point (what a power cut may leave: a torn last batch included), and an immediate restart.

The checker: every acknowledged record is in the final log at its acknowledged offset exactly once, and records of
one partition stand in the order they were sent; the three replicas' batches are identical below the high
watermark (compared on disk after a clean stop); the group's committed offsets are at least every commit the
coordinator acknowledged; records of committed transactions are all visible to read_committed, of aborted ones
none, of unknown ones all or none; what the group saw under read_committed is in the final log at its place.

Used by test_fault_rounds.py (the short form, in the README's test command) and scripts/fault-rounds.py (the long
form). A run prints its seed; FAULT_SEED=<seed> replays the same choices."""
import collections
import glob
import os
import random
import struct
import time

import fault_workload as fw
import test_replication as tr

FAULTS = ("kill_leader", "kill_controller", "sigstop", "torn_restart")
PARTITIONS = 3


class Round:
    def __init__(self, n, fault, victim, start):
        self.n, self.fault, self.victim, self.start = n, fault, victim, start
        self.unavailable = None  # seconds from the fault to every partition acknowledging a record sent after it
        self.end = None
        self.cut_bytes = 0
        self.notes = []
        self.problems = []
        self.lost = 0
        self.duplicated = 0

    def line(self, acked):
        count = sum(1 for _, _, at in acked.values() if self.start <= at < (self.end or float("inf")))
        return (f"round {self.n + 1}: {self.fault} of node {self.victim}"
                f"{f' ({self.cut_bytes} bytes cut)' if self.fault == 'torn_restart' else ''}: unavailable "
                f"{f'{self.unavailable:.2f} s' if self.unavailable is not None else 'to the end of the round'}, "
                f"{count} acknowledged, {self.lost} lost, {self.duplicated} duplicated"
                + "".join(f"; {n}" for n in self.notes))


# --- faults -------------------------------------------------------------------------------------------------------


def batches(path):
    """[(start position, base offset, last offset, leader epoch, crc, end position)] of the whole batches of a
    segment file, reading stops at the first one that is incomplete."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 61 <= len(data):
        base, length, epoch = struct.unpack_from(">qii", data, pos)
        end = pos + 12 + length
        if length < 49 or end > len(data):
            break
        crc, = struct.unpack_from(">I", data, pos + 17)
        delta, = struct.unpack_from(">i", data, pos + 23)
        out.append((pos, base, base + delta, epoch, crc, end))
        pos = end
    return out


def recovery_points(log_dir):
    """{partition directory name: recovery point} from the log directory's recovery-point-offset-checkpoint."""
    try:
        with open(os.path.join(log_dir, "recovery-point-offset-checkpoint")) as f:
            lines = f.read().split("\n")[2:]
    except OSError:
        return {}
    points = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            points[f"{parts[0]}-{parts[1]}"] = int(parts[2])
    return points


def cut_unflushed_tails(node, rng):
    """Cuts the active segment of every partition log of a stopped `node` at a random byte between the end of what
    its recovery point says was flushed and the file's end. Returns the bytes cut."""
    points = recovery_points(node.log_dir)
    cut = 0
    for d in sorted(glob.glob(os.path.join(node.log_dir, "*-*"))):
        name = os.path.basename(d)
        if name.startswith("__cluster_metadata") or not os.path.isdir(d):
            continue
        segments = sorted(glob.glob(os.path.join(d, "*.log")))
        if not segments:
            continue
        active = segments[-1]
        size = os.path.getsize(active)
        point = points.get(name, 0)
        flushed_end = max([end for _, _, last, _, _, end in batches(active) if last < point], default=0)
        if size <= flushed_end:
            continue
        at = rng.randint(flushed_end, size)
        os.truncate(active, at)
        cut += size - at
    return cut


def leader_of(cluster, topic, partition, via=None):
    return cluster.partitions(topic, via).get(partition, (None, None, None))[0]


def wait_available(cluster, run, t, seconds=60):
    """Seconds from `t` until every data partition acknowledged a record sent after `t`, or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        firsts = [run.first_ack_after(t, partition=p) for p in range(PARTITIONS)]
        if all(firsts):
            return max(firsts) - t
        time.sleep(0.05)
    return None


def heal(cluster, topics, via, seconds=90):
    """Waits until every node runs and `via`'s Metadata shows the full ISR of every partition of `topics`."""
    tr.wait_for("every node running", lambda: all(n.alive() for n in cluster.brokers.values()), seconds)
    for topic in topics:
        tr.wait_full_isr(cluster, topic, PARTITIONS, "full ISR after the round", seconds, via=via)


def run_round(cluster, n, rng, run, topics):
    fault = rng.choice(FAULTS)
    ids = sorted(cluster.brokers)
    if fault == "kill_leader":
        victim = leader_of(cluster, topics[0], rng.randrange(PARTITIONS))
    elif fault == "kill_controller":
        victim = cluster.raft_leader()
    else:
        victim = rng.choice(ids)
    node = cluster.brokers[victim]
    via = cluster.brokers[next(i for i in ids if i != victim)]
    r = Round(n, fault, victim, time.monotonic())
    if fault in ("kill_leader", "kill_controller"):
        node.kill()
        r.unavailable = wait_available(cluster, run, r.start)
        if fault == "kill_controller":
            tr.wait_for("a new active controller", lambda: cluster.raft_leader() not in (None, victim), 60)
        node.start(timeout=60)
    elif fault == "sigstop":
        cluster.sigstop(victim)
        time.sleep(cluster.session_ms / 1000 + 1.5)
        cluster.sigcont(victim)
        r.unavailable = wait_available(cluster, run, r.start)
    else:
        node.kill()
        # Its own generator, so that the number of logs cut does not shift the later rounds' choices.
        r.cut_bytes = cut_unflushed_tails(node, random.Random(f"{rng.random()}"))
        node.start(timeout=60)
        r.unavailable = wait_available(cluster, run, r.start)
    try:
        heal(cluster, topics, via)
    except AssertionError as e:
        r.notes.append(str(e))
    if fault != "sigstop":
        r.problems += isr_changes_before_registration(node)
    r.end = time.monotonic()
    return r


def isr_changes_before_registration(node):
    """A restarted node must change no ISR before its new incarnation is registered: until then the controller
    still holds the previous one's registration, and a leader that replayed itself from a log that lost its tail
    would take the ISR away from the replicas holding the committed records."""
    text = node.log_text()
    registered = text.find("registered with epoch")
    before = text if registered < 0 else text[:registered]
    changes = [line for line in before.splitlines() if "ISR of" in line and "is now" in line]
    return [f"{node.name} changed {len(changes)} ISRs before its registration, e.g. {changes[0][-120:]}"] if changes else []


# --- the checks ---------------------------------------------------------------------------------------------------


def disk_batches(node, topic, partition, below):
    """[(base offset, last offset, leader epoch, crc)] of the batches of `node`'s log of `topic`-`partition` that end
    below `below` (the high watermark)."""
    out = []
    for seg in sorted(glob.glob(os.path.join(node.log_dir, f"{topic}-{partition}", "*.log"))):
        out.extend((b, last, e, c) for _, b, last, e, c, _ in batches(seg) if last < below)
    return out


def reordered(acked):
    """Records acknowledged on a partition at an offset below that of a record sent before them."""
    bad = 0
    by_partition = {}
    for i in sorted(acked):
        p, o, _ = acked[i]
        if by_partition.get(p, -1) > o:
            bad += 1
        by_partition[p] = max(by_partition.get(p, -1), o)
    return bad


def check_transactions(log, outcome):
    """Sentences on records of committed, aborted and unknown transactions in a read_committed read `log`."""
    problems = []
    count = {}
    for rows in log.values():
        for _, k, _ in rows:
            n = int(k.decode().split("-")[0][1:])
            count[n] = count.get(n, 0) + 1
    for n, what in sorted(outcome.items()):
        c = count.get(n, 0)
        if what == "committed" and c != fw.TXN_RECORDS:
            problems.append(f"committed transaction {n}: {c} of {fw.TXN_RECORDS} records visible")
        elif what == "aborted" and c:
            problems.append(f"aborted transaction {n}: {c} records visible to read_committed")
        elif what == "unknown" and c not in (0, fw.TXN_RECORDS):
            problems.append(f"transaction {n} of unknown outcome: {c} of {fw.TXN_RECORDS} records visible")
    return problems


def check(cluster, rounds, run, txn, group, topics):
    """Every problem found (sentences), with the totals line."""
    data, txn_topic = topics
    via = cluster.brokers[min(cluster.brokers)]
    log, highs = tr.read_log(via, data, PARTITIONS)
    acked, failed, sent = run.snapshot()
    problems = [p for r in rounds for p in r.problems] + tr.check_log(log, highs, acked)
    missing, replaced = tr.lost_acknowledged(log, acked)
    twice = {v for v, c in collections.Counter(v for rows in log.values() for _, _, v in rows).items() if c > 1}
    for r in rounds:
        in_round = {i for i, (_, _, at) in acked.items() if r.start <= at < r.end}
        r.lost = len(in_round & (set(missing) | set(replaced)))
        r.duplicated = sum(1 for i in in_round if tr.value_of(i) in twice)
    inversions = reordered(acked)
    if inversions:
        problems.append(f"{inversions} acknowledged records stand before a record sent earlier on their partition")
    problems += tr.check_seen([(p, o, k, v) for t, p, o, k, v in group.seen if t == data], log)
    txn_log = fw.read_committed(via.bootstrap, txn_topic, PARTITIONS)
    problems += check_transactions(txn_log, txn.outcome)
    seen_aborted = [k for t, _, _, k, _ in group.seen
                    if t == txn_topic and txn.outcome.get(int(k.decode().split("-")[0][1:])) == "aborted"]
    if seen_aborted:
        problems.append(f"the read_committed group saw {len(seen_aborted)} records of aborted transactions")
    now = fw.committed_offsets(via.bootstrap, group.conf["group.id"], list(group.committed))
    for key, offset in group.committed.items():
        if now.get(key, -1) < offset:
            problems.append(f"group offset of {key} is {now.get(key)}, below the acknowledged commit {offset}")
    txn_highs = {p: max([o for o, _, _ in rows], default=-1) + 1 for p, rows in txn_log.items()}
    for node in cluster.brokers.values():
        node.stop_cleanly()
    for topic, high in ((data, highs), (txn_topic, None)):
        for p in range(PARTITIONS):
            below = high[p] if high else txn_highs[p]
            logs = {i: disk_batches(n, topic, p, below) for i, n in cluster.brokers.items()}
            if len({tuple(b) for b in logs.values()}) != 1:
                problems.append(f"{topic}-{p}: replicas differ below offset {below}: " + "; ".join(
                    f"node {i} {len(b)} batches, last {b[-1] if b else None}" for i, b in logs.items()))
    outcomes = list(txn.outcome.values())
    totals = (f"{len(rounds)} rounds: {len(sent)} records sent, {len(acked)} acknowledged, {len(failed)} failed, "
              f"{len(missing) + len(replaced)} lost, {len(twice)} duplicated, {inversions} reordered; transactions "
              f"{outcomes.count('committed')} committed, {outcomes.count('aborted')} aborted, "
              f"{outcomes.count('unknown')} unknown; group: {len(group.seen)} records read, "
              f"{len(group.committed)} partitions committed, {group.commit_failures} failed commits")
    return problems, totals


def run_rounds(cluster, count, seed, say=print):
    """Creates the topics, runs the clients and `count` seeded fault rounds, heals, checks. Returns (problems,
    rounds, totals line)."""
    rng = random.Random(seed)
    topics = ("faults-data", "faults-txn")
    for t in topics:
        tr.create_topic(cluster, t, partitions=PARTITIONS)
        tr.wait_full_isr(cluster, t, PARTITIONS, "full ISR of a new topic")
    bootstrap = ",".join(n.bootstrap for n in cluster.brokers.values())
    run = tr.ProducerRun(bootstrap, topics[0], 10 ** 7, rate=150, flush_seconds=90).start()
    txn = fw.TxnRun(bootstrap, topics[1], seed).start()
    group = fw.GroupReader(bootstrap, list(topics), "faults-group").start()
    tr.wait_for("the first acknowledgements", lambda: len(run.snapshot()[0]) >= 100, 60)
    rounds = []
    try:
        for n in range(count):
            r = run_round(cluster, n, rng, run, topics)
            rounds.append(r)
            say(f"[faults] {r.line(run.snapshot()[0])} (losses are counted at the end)")
    finally:
        run.stop.set()
        stuck = [txn.finish()]
        run.join(run.flush_seconds + 30)
        time.sleep(2)  # the group reads the last records before it stops
        stuck.append(group.finish())
    problems, totals = check(cluster, rounds, run, txn, group, topics)
    problems = [s for s in stuck if s] + problems
    acked = run.snapshot()[0]
    for r in rounds:
        say(f"[faults] {r.line(acked)}")
    say(f"[faults] {totals}")
    if txn.errors:
        say(f"[faults] transactional producer: {len(txn.errors)} errors, {txn.restarts} restarts, e.g. "
            f"{sorted(set(txn.errors))[:5]}")
    return problems, rounds, totals
