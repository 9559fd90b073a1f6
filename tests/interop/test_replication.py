"""Partition replication across real processes, driven by confluent-kafka: topics with replication factor 3 and
min.insync.replicas=2 on three brokers (replica.lag.time.max.ms and broker.session.timeout.ms small, so ISR changes
and fencing happen in test time).

- kill -9 of the broker leading partition 0 while an idempotent acks=all producer runs: the producer moves to the
  new leader; after the killed node restarts, a fresh consumer reads every partition from the beginning and finds
  every acknowledged record at exactly its acknowledged (partition, offset) with its value, no record twice, offsets
  strictly increasing; the restarted node rejoins the ISR of every partition;
- SIGSTOP of a follower past replica.lag.time.max.ms (three broker-only nodes and a controller-only node, so no
  voter is stopped; the session timeout is longer than the test's wait, so the follower is not fenced): it leaves
  the ISR and acks=all produce keeps succeeding; SIGCONT: it rejoins; SIGSTOP of both followers: the ISR shrinks to
  the leader alone, acks=all is refused with NOT_ENOUGH_REPLICAS while acks=1 still succeeds;
- a consumer reading while the leader is killed sees only records that end up in the final log at the offset it
  saw them at (a consumer reads to the high watermark, which acknowledged-then-lost records never pass);
- the same checks pass where nothing can be lost (no fault, and a single node refusing acks=all for
  min.insync.replicas=2), so a failure above is the broker's, not the checking code's.

Times are printed, never asserted; every wait is bounded. The producers write numbered records (key "i", value
"record-i-..."), no randomness.
"""
import os
import signal
import threading
import time

import pytest

ck = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

import kafka_wire as kw  # noqa: E402
from fault_workload import ClientThread  # noqa: E402
from conftest import BrokerProcess, start_all  # noqa: E402
from test_raft_nodes import wait_for  # noqa: E402
from test_split_roles import RoleProcess  # noqa: E402

CLUSTER_ID = "UmVwbGljYXRpb25UZXN0MQ"
SESSION_MS = 4000
LAG_MS = 3000
MIN_ISR = 2


# --- the cluster --------------------------------------------------------------------------------------------------


class Cluster:
    """Three brokers (ids 1, 2, 3) on loopback, each a BrokerProcess in its own directory under `root`.

    `combined`: three broker+controller nodes, the three voters of one KRaft quorum (as test_quorum_nodes).
    `split`: three broker-only nodes and one controller-only node (id 4, the only voter), so that stopping brokers
    never stops a voter: with two of three combined nodes stopped the quorum could commit no ISR change at all."""

    def __init__(self, root, layout="combined", session_ms=SESSION_MS, lag_ms=LAG_MS):
        common = ["controller.listener.names=CONTROLLER", f"broker.session.timeout.ms={session_ms}",
                  "broker.heartbeat.interval.ms=500", f"replica.lag.time.max.ms={lag_ms}"]
        self.controllers = {}
        self.session_ms = session_ms
        if layout == "combined":
            self.brokers = {i: BrokerProcess(os.path.join(root, f"node-{i}", "data"), name=f"node-{i}") for i in (1, 2, 3)}
            voters = ",".join(f"{i}@localhost:{n.controller_port}" for i, n in self.brokers.items())
            for i, n in self.brokers.items():
                n.overrides = ["process.roles=broker,controller", f"node.id={i}", f"controller.quorum.voters={voters}",
                               *common]
        else:
            ctl = RoleProcess(os.path.join(root, "controller-4", "data"), "controller", "controller-4")
            voters = f"4@localhost:{ctl.controller_port}"
            ctl.overrides = ["process.roles=controller", "node.id=4", "listener.security.protocol.map=CONTROLLER:PLAINTEXT",
                             f"controller.quorum.voters={voters}", *common]
            self.controllers = {4: ctl}
            self.brokers = {i: RoleProcess(os.path.join(root, f"broker-{i}", "data"), "broker", f"broker-{i}")
                            for i in (1, 2, 3)}
            for i, n in self.brokers.items():
                n.overrides = ["process.roles=broker", f"node.id={i}", "inter.broker.listener.name=PLAINTEXT",
                               "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                               f"controller.quorum.voters={voters}", *common]
        self.root = root
        self.stopped = set()

    def processes(self):
        return [*self.controllers.values(), *self.brokers.values()]

    def start(self):
        for n in self.processes():
            os.makedirs(os.path.dirname(n.log_dir), exist_ok=True)
        start_all(self.processes(), timeout=30)
        wait_for("three brokers registered", lambda: set((self.view() or [()])[0]) == set(self.brokers), 60)

    def live(self):
        """The brokers running and not stopped."""
        return [n for i, n in self.brokers.items() if n.alive() and i not in self.stopped]

    def view(self, via=None):
        """(registered broker ids, {topic: {partition: (leader, replicas, isr)}}) from the Metadata of broker `via`
        (default: the first live one), or None when it does not answer."""
        node = via or (self.live() or [None])[0]
        return None if node is None else metadata(node)

    def partitions(self, topic, via=None):
        v = self.view(via)
        return v[1].get(topic, {}) if v else {}

    def raft_leader(self):
        """The id of the active controller (the node answering DescribeQuorum as leader), or None."""
        voters = self.controllers or self.brokers
        return next((leader for i, n in voters.items() if i not in self.stopped and n.alive()
                     and (leader := kw.describe_quorum_leader(n.controller_port, timeout=1)) is not None), None)

    def isr(self, topic, partition=0, via=None):
        """The ISR of `topic`-`partition` in the Metadata of `via` (default: the first live broker), or None."""
        return self.partitions(topic, via).get(partition, (None, None, None))[2]

    def sigstop(self, i):
        self.stopped.add(i)
        self.brokers[i].proc.send_signal(signal.SIGSTOP)

    def sigcont(self, i):
        self.brokers[i].proc.send_signal(signal.SIGCONT)
        self.stopped.discard(i)

    def close(self):
        for i in list(self.stopped):
            if self.brokers[i].proc is not None:
                self.sigcont(i)
        for n in self.processes():
            n.kill()

    def log_paths(self):
        return [p for n in self.processes() for p in n.log_paths]


def metadata(node, timeout=3.0):
    """Metadata v1 for all topics sent to `node` itself (a client library would ask whichever broker it likes):
    (broker ids, {topic: {partition: (leader, sorted replicas, sorted isr)}}), or None on a connection error."""
    try:
        with kw.connect(node.bootstrap, timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(kw.metadata_v1(1, None))
            r = kw.Reader(kw.read_response(s))
        r.int32()  # correlation id
    except (OSError, ConnectionError, ValueError):
        return None
    brokers = r.array(lambda r: (r.int32(), r.string(), r.int32(), r.string()))
    r.int32()  # controller id

    def partition(r):
        r.int16()  # error code
        index, leader = r.int32(), r.int32()
        replicas, isr = r.array(lambda r: r.int32()), r.array(lambda r: r.int32())
        return index, (leader, sorted(replicas), sorted(isr))

    topics = r.array(lambda r: (r.int16(), r.string(), r.take(1), r.array(partition)))  # error, name, is_internal
    return [b[0] for b in brokers], {name: dict(parts) for _, name, _, parts in topics}


@pytest.fixture
def clusters(tmp_path, monkeypatch):
    """Makes clusters under tmp_path; at the end every stopped broker is continued and every process killed."""
    monkeypatch.setenv("CLUSTER_ID", CLUSTER_ID)
    made = []

    def make(**kwargs):
        c = Cluster(str(tmp_path / f"cluster-{len(made)}"), **kwargs)
        made.append(c)
        c.start()
        return c

    yield make
    for c in made:
        close_and_report(c)
    print(f"\n[replication] logs: {tmp_path}")


def close_and_report(cluster):
    """Closes `cluster` (continues stopped brokers, kills every process), printing which processes had exited on
    their own (with their log's end) and which logged error lines."""
    for n in cluster.processes():
        if n.proc is not None and n.proc.poll() is not None:  # neither killed nor restarted by the test
            print(f"\n[replication] {n.name} exited on its own with status {n.proc.returncode}; its log ends:\n"
                  f"{n.log_text()[-2000:]}")
    cluster.close()
    for n in cluster.processes():
        errors = n.errors_in_log()
        if errors:  # printed, not failed: a killed peer makes brokers log errors that are no fault
            print(f"\n[replication] {n.name} logged {len(errors)} error lines, e.g.\n  " + "\n  ".join(errors[:3]))


def create_topic(cluster, topic, partitions=3, rf=3, min_isr=MIN_ISR):
    admin = AdminClient({"bootstrap.servers": cluster.live()[0].bootstrap})
    new = NewTopic(topic, num_partitions=partitions, replication_factor=rf, config={"min.insync.replicas": str(min_isr)})
    admin.create_topics([new], operation_timeout=30)[topic].result(timeout=60)


def full_isr(cluster, topic, partitions, rf=3, via=None):
    """True when the Metadata shows `partitions` partitions of `topic`, each with `rf` replicas, a leader, and every
    replica in the ISR."""
    parts = cluster.partitions(topic, via)
    return len(parts) == partitions and all(
        len(replicas) == rf and isr == replicas and leader in replicas for leader, replicas, isr in parts.values())


def wait_isr(cluster, topic, want, what, seconds=20, via=None):
    """Waits until the ISR of `topic`-0 in the Metadata of `via` is `want` (sorted ids); the failure says what the
    ISR and brokers were."""
    try:
        wait_for(what, lambda: cluster.isr(topic, via=via) == want, seconds)
    except AssertionError as e:
        raise AssertionError(f"{e}; ISR {cluster.isr(topic, via=via)}, "
                             f"registered brokers {(cluster.view(via) or [None])[0]}") from None


def wait_full_isr(cluster, topic, partitions, what, seconds=60, rf=3, via=None):
    """Waits until the Metadata of `via` (default: the first live broker) shows every partition's full ISR."""
    t0 = time.monotonic()
    wait_for(f"{topic}: {what}", lambda: full_isr(cluster, topic, partitions, rf, via), seconds)
    return time.monotonic() - t0


# --- producing and reading back -----------------------------------------------------------------------------------


def value_of(i, size=32):
    return f"record-{i:08d}-".encode().ljust(size, b"x")


class ProducerRun:
    """A confluent_kafka Producer on its own thread writing records first..first+count-1 (key str(i), value
    value_of(i, size); two runs with different `first` write different records) to `topic`, about `rate` a second
    (None: as fast as its queue takes them), then a bounded flush. Every delivery report is kept: `acked`
    {i: (partition, offset, ack time)}, `failed` {i: error name}; `sent` {i: send time}
    (time.monotonic()); `fatal` the error that stopped it early, if any. `warmup`: first one record keyed "warmup"
    and its flush, so that figures leave out the producer's start (metadata, InitProducerId)."""

    def __init__(self, bootstrap, topic, count, rate=None, size=32, conf=None, flush_seconds=90, warmup=False, first=0):
        self.conf = {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
                     "message.timeout.ms": 60000, **(conf or {})}
        self.topic, self.count, self.rate, self.size, self.flush_seconds = topic, count, rate, size, flush_seconds
        self.warmup, self.first = warmup, first
        self.lock = threading.Lock()
        self.acked, self.failed, self.sent = {}, {}, {}
        self.fatal = None
        self.unflushed = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _report(self, i):
        def on_delivery(err, msg):
            now = time.monotonic()
            with self.lock:
                if err is None:
                    self.acked[i] = (msg.partition(), msg.offset(), now)
                else:
                    self.failed[i] = err.name()
        return on_delivery

    def _error(self, err):
        if err.fatal():
            self.fatal = err

    def _run(self):
        p = Producer({**self.conf, "error_cb": self._error})
        if self.warmup:
            p.produce(self.topic, key=b"warmup", value=b"warmup")
            p.flush(30)
        t0 = time.monotonic()
        try:
            for i in range(self.first, self.first + self.count):
                if self.stop.is_set() or self.fatal is not None:
                    break
                while self.rate and (wait := t0 + (i - self.first) / self.rate - time.monotonic()) > 0:
                    p.poll(wait)  # returns early when it served a report (and a negative timeout waits forever)
                while not self.stop.is_set():
                    t = time.monotonic()
                    try:
                        p.produce(self.topic, key=str(i).encode(), value=value_of(i, self.size),
                                  on_delivery=self._report(i))
                    except BufferError:  # the queue is full: serve delivery reports, then try again
                        p.poll(0.05)
                        continue
                    with self.lock:  # its report comes from a later poll, on this thread
                        self.sent[i] = t
                    break
                p.poll(0)
        except KafkaException as e:  # fatal idempotence error: produce refuses from now on
            self.fatal = e.args[0]
        finally:
            self.unflushed = p.flush(self.flush_seconds)

    def join(self, seconds):
        self.thread.join(seconds)
        assert not self.thread.is_alive(), f"producer still running after {seconds} s"

    def snapshot(self):
        with self.lock:
            return dict(self.acked), dict(self.failed), dict(self.sent)

    def first_ack_after(self, t, partition=None):
        """The ack time of the earliest-acknowledged record sent after `t` (on `partition`), or None."""
        acked, _, sent = self.snapshot()
        times = [at for i, (p, _, at) in acked.items() if sent[i] > t and (partition is None or p == partition)]
        return min(times) if times else None

    def summary(self):
        acked, failed, sent = self.snapshot()
        errors = {}
        for name in failed.values():
            errors[name] = errors.get(name, 0) + 1
        return (f"{len(sent)} sent, {len(acked)} acknowledged, {len(failed)} failed {errors or ''}"
                f"{', stopped by ' + str(self.fatal) if self.fatal else ''}"
                f"{', ' + str(self.unflushed) + ' unflushed' if self.unflushed else ''}")


def read_log(node, topic, partitions, seconds=60):
    """Every record of `topic`, read from the beginning through `node` by a fresh consumer up to the high watermarks
    it is told first: ({partition: [(offset, key, value)]}, {partition: high watermark})."""
    c = Consumer({"bootstrap.servers": node.bootstrap, "group.id": f"{topic}-final-reader", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    try:
        highs = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1] for p in range(partitions)}
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        log = {p: [] for p in range(partitions)}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and any((log[p][-1][0] + 1 if log[p] else 0) < highs[p] for p in log):
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                log[m.partition()].append((m.offset(), m.key(), m.value()))
        return log, highs
    finally:
        c.close()


def lost_acknowledged(log, acked, size=32):
    """The acknowledged records (numbers, per the producer's `acked` {i: (partition, offset, _)}) that the final
    `log` lacks: (missing: nothing at their acknowledged place, replaced: another record there)."""
    at = {(p, o): (k, v) for p, rows in log.items() for o, k, v in rows}
    missing = sorted(i for i, (p, o, _) in acked.items() if (p, o) not in at)
    replaced = sorted(i for i, (p, o, _) in acked.items()
                      if (p, o) in at and at[(p, o)] != (str(i).encode(), value_of(i, size)))
    return missing, replaced


def check_log(log, highs, acked, size=32):
    """What is wrong with the final `log` (read_log) given the producer's `acked` {i: (partition, offset, _)}: a list
    of sentences, empty when every acknowledged record is at its acknowledged place with its key and value, no record
    stands twice, and every partition's offsets rise strictly and reach its high watermark."""
    problems = []
    where = {}
    for p, rows in sorted(log.items()):
        offsets = [o for o, _, _ in rows]
        if any(b <= a for a, b in zip(offsets, offsets[1:])):
            problems.append(f"partition {p}: offsets not strictly increasing: {offsets[:20]}...")
        if (offsets[-1] + 1 if offsets else 0) < highs[p]:
            problems.append(f"partition {p}: read only to offset {offsets[-1] if offsets else None}, high watermark "
                            f"{highs[p]}")
        for o, k, v in rows:
            if v in where:
                problems.append(f"{v!r} twice: at {where[v]} and {(p, o)}")
            where[v] = (p, o)
    missing, replaced = lost_acknowledged(log, acked, size)
    if missing:
        per = {}
        for i in missing:
            per[acked[i][0]] = per.get(acked[i][0], 0) + 1
        problems.append(f"{len(missing)} of {len(acked)} acknowledged records missing from the final log (per "
                        f"partition {per}; final log lengths {{{', '.join(f'{p}: {len(r)}' for p, r in log.items())}}}); "
                        f"e.g. " + ", ".join(f"record {i} acked at {acked[i][:2]}" for i in missing[:5]))
    if replaced:
        at = {(p, o): v for p, rows in log.items() for o, _, v in rows}
        problems.append(f"{len(replaced)} of {len(acked)} acknowledged records' places hold another record; e.g. " +
                        ", ".join(f"record {i} acked at {acked[i][:2]} but there: {at[acked[i][:2]][:16]!r}"
                                  for i in replaced[:5]))
    return problems


class Watcher(ClientThread):
    """A consumer on its own thread reading every partition of `topic` from the beginning until stopped: `seen`
    [(partition, offset, key, value)] in the order received."""

    def __init__(self, bootstrap, topic, partitions):
        self.conf = {"bootstrap.servers": bootstrap, "group.id": f"{topic}-watcher", "enable.auto.commit": False,
                     "auto.offset.reset": "earliest"}
        self.topic, self.partitions = topic, partitions
        self.seen = []
        self.errors = []
        super().__init__()

    def _run(self):
        c = Consumer(self.conf)
        c.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in range(self.partitions)])
        try:
            while not self.stop.is_set():
                m = c.poll(0.2)
                if m is None:
                    continue
                if m.error() is None:
                    self.seen.append((m.partition(), m.offset(), m.key(), m.value()))
                else:
                    self.errors.append(m.error().name())
        finally:
            c.close()

    def position(self, p):
        """The next offset after the last one seen on partition `p`."""
        return max((o + 1 for q, o, _, _ in list(self.seen) if q == p), default=0)

    def finish(self, seconds=10):
        self.stop.set()
        self.thread.join(seconds)
        assert not self.thread.is_alive(), f"watcher still running after {seconds} s"


def check_seen(seen, log):
    """Sentences for every record a consumer saw during the run that the final `log` does not hold at that place."""
    at = {(p, o): (k, v) for p, rows in log.items() for o, k, v in rows}
    bad = [(p, o, v) for p, o, k, v in seen if at.get((p, o)) != (k, v)]
    if not bad:
        return []
    return [f"{len(bad)} of {len(seen)} records seen by the consumer during the run are not in the final log at "
            f"that place; e.g. " + ", ".join(
                f"({p}, {o}) {v[:16]!r} seen, final log {at[(p, o)][1][:16] if (p, o) in at else None!r}"
                for p, o, v in bad[:5])]


def leader_kill_run(cluster, topic, partitions, count=3000, rate=200, watcher=None):
    """Runs an acks=all idempotent producer of `count` records at `rate`/s; after 300 are acknowledged, kill -9 of the
    broker leading partition 0; once an ack comes for a partition-0 record sent after the kill (or 60 s passed),
    the killed node restarts; the producer finishes and flushes. Returns (producer, killed id, kill time, notes):
    notes are sentences about what did not happen in time, for the caller to report after its data checks."""
    notes = []
    leader = cluster.partitions(topic)[0][0]
    killed = cluster.brokers[leader]
    survivors = [n for i, n in cluster.brokers.items() if i != leader]
    run = ProducerRun(",".join(n.bootstrap for n in survivors + [killed]), topic, count, rate=rate).start()
    wait_for("300 records acknowledged", lambda: len(run.snapshot()[0]) >= 300 or run.fatal, 60)
    if watcher:
        watcher.start()
        wait_for("the watcher's first records", lambda: watcher.seen, 30)
    controller = cluster.raft_leader()
    t_kill = time.monotonic()
    killed.kill()
    print(f"[replication] kill -9 of node {leader}, leader of {topic}-0, after {len(run.snapshot()[0])} acks "
          f"(the active controller was node {controller})")
    try:
        wait_for(f"an ack from {topic}-0's new leader",
                 lambda: run.first_ack_after(t_kill, partition=0) or run.fatal or not run.thread.is_alive(), 60)
    except AssertionError as e:
        notes.append(str(e))
    first = run.first_ack_after(t_kill, partition=0)
    print(f"[replication] first ack on {topic}-0 of a record sent after the kill: "
          f"{f'{first - t_kill:.2f} s after the kill' if first else 'none'}; leaders now "
          f"{ {p: v[0] for p, v in cluster.partitions(topic).items()} }")
    killed.start(timeout=30)
    t_restart = time.monotonic()
    run.join(run.flush_seconds + count / rate + 60)
    print(f"[replication] producer: {run.summary()}")
    try:
        # Read from a survivor: the restarted node answers from its replayed metadata log until it catches up.
        took = wait_full_isr(cluster, topic, partitions, f"restarted node {leader} back in every ISR", 60,
                             via=survivors[0])
        print(f"[replication] node {leader} back in the ISR of every partition {time.monotonic() - t_restart:.2f} s "
              f"after its restart ({took:.2f} s after the producer finished)")
    except AssertionError as e:
        notes.append(f"{e}; ISRs {cluster.partitions(topic)}")
    if run.fatal:
        notes.append(f"the producer stopped on a fatal error: {run.fatal}")
    return run, leader, t_kill, notes


# --- the tests ----------------------------------------------------------------------------------------------------


def test_kill9_of_a_partition_leader_loses_no_acknowledged_record(clusters, topic_name):
    cluster = clusters(layout="combined")
    create_topic(cluster, topic_name, partitions=3)
    took = wait_full_isr(cluster, topic_name, 3, "3 replicas in the ISR of every partition")
    print(f"\n[replication] {topic_name}: RF 3, ISR full {took:.2f} s after CreateTopics: {cluster.partitions(topic_name)}")
    run, killed, _, notes = leader_kill_run(cluster, topic_name, 3)
    log, highs = read_log(cluster.brokers[killed], topic_name, 3)
    problems = check_log(log, highs, run.snapshot()[0])
    assert not problems, "\n".join(problems + notes)
    assert not notes, "\n".join(notes)


def test_consumer_during_leader_kill_sees_only_records_of_the_final_log(clusters, topic_name):
    cluster = clusters(layout="combined")
    create_topic(cluster, topic_name, partitions=3)
    wait_full_isr(cluster, topic_name, 3, "3 replicas in the ISR of every partition")
    watcher = Watcher(",".join(n.bootstrap for n in cluster.brokers.values()), topic_name, 3)
    try:
        run, killed, _, notes = leader_kill_run(cluster, topic_name, 3, count=2000, watcher=watcher)
        log, highs = read_log(cluster.brokers[killed], topic_name, 3)
        # The watcher goes on to the end of the final log (bounded), then stops.
        try:
            wait_for("the watcher at the final high watermarks",
                     lambda: all(watcher.position(p) >= highs[p] for p in highs), 30)
        except AssertionError as e:
            notes.append(f"{e}: at {[watcher.position(p) for p in highs]}, high watermarks {highs}")
    finally:
        watcher.finish()
    print(f"[replication] watcher saw {len(watcher.seen)} records; consumer errors {sorted(set(watcher.errors))}")
    problems = check_seen(watcher.seen, log)
    assert not problems, "\n".join(problems + notes)
    assert watcher.seen, "the watcher saw nothing: the check above proved nothing"
    assert not notes, "\n".join(notes)


def produce_one(bootstrap, topic, conf, seconds=30):
    """One record through a fresh producer: None when acknowledged, else the KafkaError of its delivery report."""
    reports = []
    p = Producer({"bootstrap.servers": bootstrap, **conf})
    p.produce(topic, key=b"one", value=b"one", on_delivery=lambda err, msg: reports.append(err))
    left = p.flush(seconds)
    assert reports, f"no delivery report within {seconds} s ({left} unflushed)"
    return reports[0]


ACKS_ALL_NO_RETRY = {"acks": "all", "enable.idempotence": False, "retries": 0}
ACKS_ALL_IDEMPOTENT = {"enable.idempotence": True, "message.timeout.ms": 5000}
ACKS_ONE = {"acks": 1, "enable.idempotence": False}


def check_refused_for_min_isr(bootstrap, topic):
    """acks=all without retries gets NOT_ENOUGH_REPLICAS in its delivery report; librdkafka retries that error, so
    an idempotent producer's record fails with _MSG_TIMED_OUT at message.timeout.ms (printed); acks=1 succeeds."""
    err = produce_one(bootstrap, topic, ACKS_ALL_NO_RETRY)
    assert err is not None and err.code() == KafkaError.NOT_ENOUGH_REPLICAS, \
        f"acks=all, retries=0: {err and err.name()} (want NOT_ENOUGH_REPLICAS)"
    t0 = time.monotonic()
    idem = produce_one(bootstrap, topic, ACKS_ALL_IDEMPOTENT)
    print(f"[replication] idempotent acks=all: {idem and idem.name()} after {time.monotonic() - t0:.2f} s "
          f"(message.timeout.ms {ACKS_ALL_IDEMPOTENT['message.timeout.ms']})")
    assert idem is not None, "an idempotent acks=all record was acknowledged with the ISR below min.insync.replicas"
    one = produce_one(bootstrap, topic, ACKS_ONE)
    assert one is None, f"acks=1: {one.name()}"


def test_sigstop_of_followers_shrinks_and_regrows_the_isr(clusters, topic_name):
    # The session timeout is far longer than any stop here: an ISR change can only come from the leader's
    # replica.lag.time.max.ms rule, not from the controller fencing a broker.
    session_ms = 30000
    cluster = clusters(layout="split", session_ms=session_ms)
    create_topic(cluster, topic_name, partitions=1)
    wait_full_isr(cluster, topic_name, 1, "3 replicas in the ISR")
    leader, replicas, _ = cluster.partitions(topic_name).get(0)
    f1, f2 = [r for r in replicas if r != leader]
    lead = cluster.brokers[leader]
    print(f"\n[replication] {topic_name}-0: leader {leader}, followers {f1} and {f2}")
    # The ISR is read from the leader: a follower just resumed from SIGSTOP answers Metadata from the cache it
    # held when it stopped (the old, full ISR) until it catches up with the metadata log, as Kafka's brokers do.
    # A follower only falls behind while the leader's log grows: records keep coming all along.
    run = ProducerRun(lead.bootstrap, topic_name, 100000, rate=100, conf={"message.timeout.ms": 30000}).start()
    traffic = None
    try:
        wait_for("acks=all records acknowledged with the full ISR", lambda: len(run.snapshot()[0]) >= 50, 30)

        t0 = time.monotonic()
        cluster.sigstop(f1)
        wait_isr(cluster, topic_name, sorted([leader, f2]), f"node {f1} out of the ISR after SIGSTOP", via=lead)
        shrank = time.monotonic()
        print(f"[replication] SIGSTOP of follower {f1}: ISR {cluster.isr(topic_name, via=lead)} after "
              f"{shrank - t0:.2f} s (replica.lag.time.max.ms {LAG_MS})")
        assert f1 in cluster.view()[0], f"node {f1} was fenced: the ISR change was not the leader's lag rule"
        wait_for("acks=all records sent after the shrink acknowledged (min.insync.replicas 2 of ISR 2)",
                 lambda: run.first_ack_after(shrank), 30)
        assert not run.failed, f"acks=all records failed with one follower stopped: {run.summary()}"

        cluster.sigcont(f1)
        took = wait_full_isr(cluster, topic_name, 1, f"node {f1} back in the ISR after SIGCONT", 30, via=lead)
        print(f"[replication] SIGCONT of {f1}: back in the ISR after {took:.2f} s")
        run.stop.set()
        run.join(60)
        print(f"[replication] acks=all producer through the one-follower stop: {run.summary()}")
        assert not run.failed and not run.fatal and len(run.acked) == len(run.sent), run.summary()

        # Both followers stopped: the leader alone in the ISR, below min.insync.replicas. acks=1 traffic keeps the
        # leader's log growing so that they fall behind.
        traffic = ProducerRun(lead.bootstrap, topic_name, 100000, rate=100, conf=ACKS_ONE).start()
        wait_for("acks=1 traffic acknowledged", lambda: len(traffic.snapshot()[0]) >= 20, 30)
        t0 = time.monotonic()
        cluster.sigstop(f1)
        cluster.sigstop(f2)
        wait_isr(cluster, topic_name, [leader], f"the ISR down to the leader {leader}", via=lead)
        shrank = time.monotonic()
        print(f"[replication] SIGSTOP of {f1} and {f2}: ISR [{leader}] after {shrank - t0:.2f} s")
        check_refused_for_min_isr(lead.bootstrap, topic_name)
        wait_for("acks=1 records sent after the shrink acknowledged", lambda: traffic.first_ack_after(shrank), 30)
        assert not traffic.failed, f"acks=1 records failed: {traffic.summary()}"

        cluster.sigcont(f1)
        cluster.sigcont(f2)
        took = wait_full_isr(cluster, topic_name, 1, f"nodes {f1} and {f2} back in the ISR after SIGCONT", 30, via=lead)
        print(f"[replication] SIGCONT of {f1} and {f2}: both back in the ISR after {took:.2f} s")
        assert produce_one(lead.bootstrap, topic_name, ACKS_ALL_NO_RETRY) is None, "acks=all with the ISR full again"
    finally:
        for i in list(cluster.stopped):
            cluster.sigcont(i)
        for r in (run, traffic):
            if r is not None:
                r.stop.set()
                r.thread.join(60)


# --- the checking code where nothing can be lost ----------------------------------------------------------------


@pytest.mark.parametrize("rf", [1, 3])
def test_checks_pass_without_a_fault(clusters, topic_name, rf):
    """No kill, no stop: the producer, the watcher, the final read and both checks of the tests above find nothing
    wrong (RF 1 needs no replication at all)."""
    cluster = clusters(layout="combined")
    create_topic(cluster, topic_name, partitions=3, rf=rf, min_isr=1 if rf == 1 else MIN_ISR)
    wait_full_isr(cluster, topic_name, 3, f"{rf} replicas in the ISR of every partition", rf=rf)
    watcher = Watcher(cluster.brokers[1].bootstrap, topic_name, 3).start()
    try:
        run = ProducerRun(cluster.brokers[2].bootstrap, topic_name, 2000, rate=1000).start()
        run.join(120)
        log, highs = read_log(cluster.brokers[3], topic_name, 3)
        wait_for("the watcher at the high watermarks", lambda: all(watcher.position(p) >= highs[p] for p in highs), 30)
    finally:
        watcher.finish()
    print(f"\n[replication] RF {rf}: producer {run.summary()}; watcher saw {len(watcher.seen)}")
    assert len(run.acked) == 2000 and not run.failed, run.summary()
    assert check_log(log, highs, run.snapshot()[0]) == []
    assert check_seen(watcher.seen, log) == []
    assert len(watcher.seen) == sum(len(r) for r in log.values()) == 2000


def test_single_node_refuses_acks_all_below_min_isr(broker_factory, topic_name):
    """One broker, RF 1, min.insync.replicas=2: the delivery reports check_refused_for_min_isr expects of a shrunk
    ISR (a broker that refuses before any replication is involved)."""
    b = broker_factory(name="min-isr")
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic(topic_name, 1, 1, config={"min.insync.replicas": "2"})])[topic_name].result(timeout=30)
    check_refused_for_min_isr(b.bootstrap, topic_name)
