"""Classic consumer groups against the real broker: confluent-kafka (eager and cooperative-sticky, members in
separate processes so one can be SIGKILLed), kafka-python, aiokafka and sarama groups, the AdminClient group APIs,
and committed offsets surviving a broker crash.

The group tests share one module broker with `group.initial.rebalance.delay.ms` set low. Confluent members run as
`python3 test_groups.py ck-worker '<json>'` child processes that report JSON lines on stdout.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

if __name__ != "__main__":
    ck = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
    from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
    from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

    from conftest import shared_broker  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SESSION_MS = 6000
HEARTBEAT_MS = 1000
# KIP-848 members get the same 6 s session (Kafka's minimum is 45 s, lowered here so the kill test stays short).
GROUP_OVERRIDES = ["group.initial.rebalance.delay.ms=100", "offsets.topic.num.partitions=5",
                   f"group.consumer.session.timeout.ms={SESSION_MS}", f"group.consumer.min.session.timeout.ms={SESSION_MS}",
                   f"group.consumer.heartbeat.interval.ms={HEARTBEAT_MS}",
                   f"group.consumer.min.heartbeat.interval.ms={HEARTBEAT_MS}"]


def consumer_conf(bootstrap, group, protocol="classic", strategy="range,roundrobin"):
    """A group consumer's settings: the classic protocol's session, heartbeat and assignor are client settings;
    with group.protocol=consumer (KIP-848) the broker owns them."""
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "topic.metadata.refresh.interval.ms": 2000}
    if protocol == "consumer":
        conf["group.protocol"] = "consumer"
    else:
        conf.update({"session.timeout.ms": SESSION_MS, "heartbeat.interval.ms": HEARTBEAT_MS,
                     "partition.assignment.strategy": strategy})
    return conf


# --- the confluent worker process ---------------------------------------------------------------------------------


def _worker_main(args):
    """A group member: subscribe, consume batches, commit synchronously after each, report everything."""
    from confluent_kafka import Consumer, KafkaException

    lock = threading.Lock()

    def emit(**kw):
        with lock:
            sys.stdout.write(json.dumps(kw) + "\n")
            sys.stdout.flush()

    c = Consumer(consumer_conf(args["bootstrap"], args["group"], args.get("protocol", "classic"),
                               args.get("strategy", "range,roundrobin")))
    stop = threading.Event()

    def read_stdin():
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=read_stdin, daemon=True).start()

    def parts(ps):
        return sorted(p.partition for p in ps)

    c.subscribe([args["topic"]],
                on_assign=lambda _c, ps: emit(ev="assign", parts=parts(ps)),
                on_revoke=lambda _c, ps: emit(ev="revoke", parts=parts(ps)),
                on_lost=lambda _c, ps: emit(ev="lost", parts=parts(ps)))
    emit(ev="started")
    batch, delay, every = args.get("batch", 10), args.get("delay", 0.0), args.get("commit_every", 1)
    batches = 0
    while not stop.is_set():
        msgs = [m for m in c.consume(num_messages=batch, timeout=0.2) if not m.error()]
        if not msgs:
            continue
        for m in msgs:
            emit(ev="msg", p=m.partition(), o=m.offset(), v=m.value().decode())
        batches += 1
        if batches % every == 0:
            try:
                done = c.commit(asynchronous=False)
                emit(ev="commit", offsets={str(tp.partition): tp.offset for tp in done or [] if tp.offset >= 0 and not tp.error},
                     errors={str(tp.partition): str(tp.error) for tp in done or [] if tp.error})
            except KafkaException as e:
                emit(ev="commit_error", err=str(e))
        if delay:
            time.sleep(delay)
    c.close()
    emit(ev="closed")


class Worker:
    """A confluent consumer child process and what it reported."""

    def __init__(self, name, **args):
        self.name = name
        self.events = []
        self.owned = set()
        self.cond = threading.Condition()
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "ck-worker", json.dumps(args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, cwd=HERE)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                ev["t"] = time.monotonic()
                self.events.append(ev)
                if ev["ev"] == "assign":
                    self.owned |= set(ev["parts"])
                elif ev["ev"] in ("revoke", "lost"):
                    self.owned -= set(ev["parts"])
                self.cond.notify_all()

    def snapshot(self, kind=None):
        with self.cond:
            return [e for e in self.events if kind is None or e["ev"] == kind]

    def consumed(self):
        return [(e["p"], e["o"], e["v"]) for e in self.snapshot("msg")]

    def last_commits(self):
        out = {}
        for e in self.snapshot("commit"):
            out.update({int(p): o for p, o in e["offsets"].items()})
        return out

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("stop\n")
                self.proc.stdin.flush()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.name} did not close within {timeout}s")
        self.reader.join(5)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join(5)

    def close_quietly(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_for(what, predicate, timeout=40, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def exact_cover(workers, partitions):
    """The members' partitions when they own every partition exactly once, else None."""
    sets = [set(w.owned) for w in workers]
    if sum(len(s) for s in sets) == partitions and set().union(*sets) == set(range(partitions)):
        return sets
    return None


def unexpected_redeliveries(victim, survivors, victim_parts):
    """The re-deliveries of a kill test that at-least-once does not allow, each explained; [] when all are allowed.

    Allowed, and nothing else:
    - the killed member's uncommitted tail: a message it read from one of its partitions at or after its last commit
      there, read once more by the one survivor that took the partition over;
    - a restart of a taken-over partition inside that survivor: it read the partition from the offset committed when
      it took it over, then once more from that same offset, repeating only offsets below its own first successful
      commit there. The client, not the coordinator, restarts it: in one CI run the survivor given p3 (never read
      by the victim) committed 5 two milliseconds after its assignment, then read p3 from 0 again, as if started a
      second time from the "no offset" its OffsetFetch got before that commit; the coordinator's records show p3
      given to it alone, once, and its commits on p3 all accepted and rising. Kafka's broker answers alike.
    A message of a survivor's own partition read twice, a partition read by both survivors (moved between them), a
    restart anywhere but at the take-over offset, or offsets re-read at or past the survivor's first commit are never
    allowed: the sticky assignor keeps a survivor's partitions and gives each of the victim's to one survivor."""
    victim_commits = victim.last_commits()
    by_offset = {}
    for w in [victim] + list(survivors):
        for p, o, v in w.consumed():
            by_offset.setdefault((p, o), []).append(w.name)
    first_commit = {}
    for w in survivors:
        for e in w.snapshot("commit"):
            for p, o in e["offsets"].items():
                first_commit.setdefault((w.name, int(p)), o)
    bad = []

    def history(p):
        out = []
        for w in [victim] + list(survivors):
            runs, prev = [], None
            for q, o, _ in w.consumed():
                if q != p:
                    continue
                if prev is None or o != prev + 1:
                    runs.append([o, o])
                runs[-1][1] = prev = o
            errors = [e["err"] for e in w.snapshot("commit_error")] + [e["errors"][str(p)] for e in w.snapshot("commit")
                                                                      if str(p) in e.get("errors", {})]
            commits = [e["offsets"][str(p)] for e in w.snapshot("commit") if str(p) in e["offsets"]]
            out.append(f"    {w.name}: read {['%d-%d' % tuple(r) for r in runs]}, commits {commits[:3]}..{commits[-1:]}, "
                       f"commit errors {errors[:3]}, revoked/lost "
                       f"{[e['parts'] for e in w.snapshot() if e['ev'] in ('revoke', 'lost') and p in e['parts']]}")
        return out

    reported = set()
    for (p, o), readers in sorted(by_offset.items()):
        if len(readers) < 2:
            continue
        survivor_reads = [r for r in readers if r != victim.name]
        taker = set(survivor_reads)
        base = victim_commits.get(p, 0)
        why = None
        if readers.count(victim.name) > 1:
            why = "read twice by the killed member"
        elif p not in victim_parts:
            why = f"p{p} was a survivor's own partition"
        elif len(taker) > 1:
            why = f"p{p} was read by two survivors {sorted(taker)}"
        elif o < base:
            why = f"below the killed member's commit {base}"
        elif len(survivor_reads) > 2:
            why = f"read {len(survivor_reads)} times by {survivor_reads[0]}"
        elif len(survivor_reads) == 2:
            name = survivor_reads[0]
            offsets = [q for r, q, _ in next(w for w in survivors if w.name == name).consumed() if r == p]
            restarts = [offsets[i] for i in range(1, len(offsets)) if offsets[i] <= offsets[i - 1]]
            limit = first_commit.get((name, p))
            if restarts != [base]:
                why = f"{name} restarted p{p} at {restarts}, not once at the offset committed at take-over ({base})"
            elif limit is None or o >= limit:
                why = f"{name} read it again at or after its own first commit on p{p} ({limit})"
        if why:
            bad.append(f"p{p}@{o} read by {readers}: {why}")
            if p not in reported:
                reported.add(p)
                bad.extend(history(p))
    return bad


# --- shared helpers -----------------------------------------------------------------------------------------------

if __name__ != "__main__":

    @pytest.fixture(scope="module")
    def gbroker(request):
        """One broker for the group tests, with a short initial-rebalance delay."""
        yield from shared_broker(request, "groups", GROUP_OVERRIDES)

    @pytest.fixture(scope="module")
    def gadmin(gbroker):
        return AdminClient({"bootstrap.servers": gbroker.bootstrap})


def create_topic(admin, topic, partitions):
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result(timeout=20)


def produce(bootstrap, topic, partitions, n, start=0, prefix="m"):
    """n messages spread round-robin over the partitions; returns {value: partition}."""
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    sent = {}
    for i in range(start, start + n):
        v = f"{prefix}-{i:06d}"
        p.produce(topic, value=v.encode(), partition=i % partitions)
        sent[v] = i % partitions
    assert p.flush(30) == 0
    return sent


def end_offsets(bootstrap, topic, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-watermarks"})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    finally:
        c.close()


def group_offsets(admin, group, topic=None, partitions=None):
    """{partition: committed offset} of the group (only partitions with a commit)."""
    from confluent_kafka import ConsumerGroupTopicPartitions
    req = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(partitions)] if topic else None)
    res = admin.list_consumer_group_offsets([req])[group].result(timeout=20)
    return {tp.partition: tp.offset for tp in res.topic_partitions if tp.offset >= 0 and (topic is None or tp.topic == topic)}


def consume_group_fresh(bootstrap, group, topic, expect, timeout=30, protocol="classic"):
    """A fresh member of `group` reads until it has `expect` messages; returns [(partition, offset, value)]."""
    c = Consumer(consumer_conf(bootstrap, group, protocol))
    out = []
    try:
        c.subscribe([topic])
        deadline = time.monotonic() + timeout
        while len(out) < expect:
            assert time.monotonic() < deadline, f"fresh consumer read {len(out)} of {expect}"
            for m in c.consume(num_messages=500, timeout=0.5):
                if m.error():
                    continue
                out.append((m.partition(), m.offset(), m.value().decode()))
        # Nothing beyond what was expected shows up.
        for m in c.consume(num_messages=500, timeout=1.0):
            if not m.error():
                out.append((m.partition(), m.offset(), m.value().decode()))
        c.commit(asynchronous=False)
    finally:
        c.close()
    return out


# --- confluent-kafka: eager, SIGKILL of a member, resume ----------------------------------------------------------


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
def test_confluent_group_member_killed(gbroker, gadmin, topic_name, protocol):
    """Classic, and KIP-848 (group.protocol=consumer: server-side assignment, the broker's session timeout)."""
    P = 6
    bootstrap, group = gbroker.bootstrap, f"g-{topic_name}"
    create_topic(gadmin, topic_name, P)
    # The first (the one killed) commits every fourth batch only, so it dies with an uncommitted tail.
    workers = [Worker(f"w{i}", bootstrap=bootstrap, group=group, topic=topic_name, batch=5, protocol=protocol,
                      delay=0.2 if i == 0 else 0.05, commit_every=4 if i == 0 else 1) for i in range(3)]
    try:
        # KIP-848 reconciles incrementally: on the way to 2/2/2 there are moments when every partition is owned
        # exactly once but not yet balanced (a member has taken the partition another revoked while a third still
        # holds three). Wait for the balanced cover itself; wait_for's bound still fails a group that never gets there.
        owned = wait_for("three members owning two partitions each, every partition once",
                         lambda: (lambda s: s if s and sorted(len(x) for x in s) == [2, 2, 2] else None)(
                             exact_cover(workers, P)))
        assert sorted(len(s) for s in owned) == [2, 2, 2], owned
        # Produced once the group is settled, so every re-delivery comes from the kill.
        sent = produce(bootstrap, topic_name, P, 600)
        victim, survivors = workers[0], workers[1:]
        wait_for("the victim to consume past a commit", lambda: (lambda n: n >= 30 and n % 20 >= 5)(len(victim.consumed())),
                 interval=0.01)
        victim_parts = set(victim.owned)
        victim.kill()
        killed_at = time.monotonic()
        wait_for("the survivors to own all six partitions",
                 lambda: (lambda s: s if s and all(s) else None)(exact_cover(survivors, P)), timeout=40)
        print(f"\n[groups] {protocol}: survivors own all partitions {time.monotonic() - killed_at:.2f}s after SIGKILL "
              f"(session timeout {SESSION_MS} ms)")
        sent.update(produce(bootstrap, topic_name, P, 60, start=600))
        consumed_all = lambda: [r for w in workers for r in w.consumed()]  # noqa: E731
        wait_for("every message consumed", lambda: set(sent) <= {v for _, _, v in consumed_all()})
        hw = end_offsets(bootstrap, topic_name, P)
        wait_for("commits up to the end", lambda: group_offsets(gadmin, group, topic_name, P) == hw, timeout=20)
        for w in survivors:
            w.stop()
    finally:
        for w in workers:
            w.close_quietly()

    # Nothing lost; every re-delivery is one at-least-once allows (see unexpected_redeliveries).
    rows = consumed_all()
    assert {v for _, _, v in rows} == set(sent)
    victim_commits = victim.last_commits()
    dups = len(rows) - len({v for _, _, v in rows})
    bad = unexpected_redeliveries(victim, survivors, victim_parts)
    assert not bad, "unexpected re-deliveries:\n" + "\n".join(bad)
    tail = {p: max(o for q, o, _ in victim.consumed() if q == p) + 1 for p in victim_parts if any(q == p for q, _, _ in victim.consumed())}
    print(f"[groups] killed member: partitions {sorted(victim_parts)} read up to {tail}, committed {victim_commits}")
    for p in victim_parts:  # the survivors took over exactly at the victim's last commit
        taken = [o for w in survivors for q, o, _ in w.consumed() if q == p]
        assert min(taken) == victim_commits.get(p, 0), (p, min(taken), victim_commits)
    print(f"[groups] {len(rows)} deliveries of {len(sent)} messages, {dups} re-delivered")

    # A fresh member resumes exactly at the committed offsets.
    committed = group_offsets(gadmin, group, topic_name, P)
    assert committed == hw
    more = produce(bootstrap, topic_name, P, 30, start=660)
    fresh = consume_group_fresh(bootstrap, group, topic_name, len(more), protocol=protocol)
    assert sorted(v for _, _, v in fresh) == sorted(more)
    first = {}
    for p, o, _ in fresh:
        first.setdefault(p, o)
    assert first == {p: committed[p] for p in range(P)}


class _Recorded(Worker):
    """A worker's report without a process, for checking unexpected_redeliveries."""

    def __init__(self, name, events):  # not Worker.__init__, which starts a process
        self.name, self.events, self.cond = name, events, threading.Condition()


def _reads(p, offsets):
    return [{"ev": "msg", "p": p, "o": o, "v": f"p{p}-{o}"} for o in offsets]


def test_redelivery_rules():
    """What the kill test lets through: the victim's uncommitted tail, and a survivor restarting a partition it took
    over from the offset committed at take-over, below its own first commit there (the CI failure: p3 read 0-4,
    committed 5, read 0-4 again); nothing else."""
    victim = _Recorded("w0", _reads(4, range(0, 30)) + [{"ev": "commit", "offsets": {"4": 20}}])
    own = _reads(0, range(0, 10)) + [{"ev": "commit", "offsets": {"0": 10}}]

    def check(w1_events, w2_events=()):
        return unexpected_redeliveries(victim, [_Recorded("w1", own + w1_events), _Recorded("w2", list(w2_events))], {3, 4})

    commit5 = [{"ev": "commit", "offsets": {"3": 5}}]
    assert check(_reads(4, range(20, 40))) == []  # the victim's tail 20-29 again
    assert check(_reads(3, range(0, 5)) + commit5 + _reads(3, range(0, 20))) == []  # restart at take-over
    assert check(_reads(4, range(20, 25)) + [{"ev": "commit", "offsets": {"4": 25}}] + _reads(4, range(20, 40))) == []
    assert check(_reads(4, range(10, 40)))  # below the victim's commit
    past = check(_reads(3, range(0, 5)) + commit5 + _reads(3, range(5, 8)) + _reads(3, range(0, 8)))
    assert [b.split(" ")[0] for b in past if not b.startswith(" ")] == ["p3@5", "p3@6", "p3@7"]  # at/after its commit
    assert check(_reads(3, range(0, 5)) + commit5 + _reads(3, range(2, 9)))  # restarted elsewhere than at take-over
    assert check(_reads(3, range(0, 5)) + commit5 + _reads(3, range(0, 5)) + _reads(3, range(0, 9)))  # three times
    assert check(_reads(0, range(5, 10)))  # a survivor's own partition
    assert check(_reads(3, range(0, 5)), _reads(3, range(0, 5)))  # moved between survivors


# --- confluent-kafka: cooperative-sticky --------------------------------------------------------------------------


def test_confluent_cooperative_sticky(gbroker, gadmin, topic_name):
    P = 6
    bootstrap, group = gbroker.bootstrap, f"g-{topic_name}"
    create_topic(gadmin, topic_name, P)
    sent = produce(bootstrap, topic_name, P, 120)
    mk = lambda name: Worker(name, bootstrap=bootstrap, group=group, topic=topic_name,  # noqa: E731
                             strategy="cooperative-sticky", batch=20)
    a, b = mk("a"), mk("b")
    workers = [a, b]
    try:
        def settled(ws, sizes):
            s = exact_cover(ws, P)
            return s if s and sorted(len(x) for x in s) == sizes else None

        wait_for("a and b owning 3 partitions each", lambda: settled([a, b], [3, 3]))
        consumed = lambda: {v for w in workers for _, _, v in w.consumed()}  # noqa: E731
        wait_for("the first messages consumed", lambda: set(sent) <= consumed())
        hw = end_offsets(bootstrap, topic_name, P)
        wait_for("first commits", lambda: group_offsets(gadmin, group, topic_name, P) == hw, timeout=20)
        before = {w.name: set(w.owned) for w in (a, b)}
        revokes_before = {w.name: len(w.snapshot("revoke")) for w in (a, b)}

        c = mk("c")
        workers.append(c)
        wait_for("a, b and c owning 2 partitions each", lambda: settled([a, b, c], [2, 2, 2]))
        for w in (a, b):
            kept = set(w.owned)
            assert kept <= before[w.name], f"{w.name} gained {kept - before[w.name]} when c joined"
            revoked = [p for e in w.snapshot("revoke")[revokes_before[w.name]:] for p in e["parts"]]
            assert sorted(revoked) == sorted(before[w.name] - kept), f"{w.name} revoked {revoked} (kept {kept})"
        sent.update(produce(bootstrap, topic_name, P, 60, start=120))
        wait_for("messages after c joined consumed", lambda: set(sent) <= consumed())
        hw = end_offsets(bootstrap, topic_name, P)
        wait_for("commits after c joined", lambda: group_offsets(gadmin, group, topic_name, P) == hw, timeout=20)

        keep = {w.name: set(w.owned) for w in (b, c)}
        revokes_before = {w.name: len(w.snapshot("revoke")) for w in (b, c)}
        a.stop()
        wait_for("b and c owning 3 partitions each", lambda: settled([b, c], [3, 3]))
        for w in (b, c):
            assert keep[w.name] <= w.owned, f"{w.name} lost {keep[w.name] - w.owned} when a left"
            assert len(w.snapshot("revoke")) == revokes_before[w.name], f"{w.name} had partitions revoked when a left"
        sent.update(produce(bootstrap, topic_name, P, 60, start=180))
        wait_for("messages after a left consumed", lambda: set(sent) <= consumed())
        for w in (b, c):
            w.stop()
    finally:
        for w in workers:
            w.close_quietly()
    rows = [v for w in workers for _, _, v in w.consumed()]
    assert sorted(rows) == sorted(sent), "lost or duplicated messages across the cooperative rebalances"


# --- kafka-python and aiokafka groups -----------------------------------------------------------------------------


def _check_split(assignments, P):
    sets = [set(a) for a in assignments]
    assert all(sets), f"a member has no partitions: {sets}"
    assert sum(len(s) for s in sets) == P and set().union(*sets) == set(range(P)), sets


def test_kafka_python_group(gbroker, gadmin, topic_name):
    kafka = pytest.importorskip("kafka", reason="kafka-python is not installed")
    P = 4
    bootstrap, group = gbroker.bootstrap, f"g-{topic_name}"
    create_topic(gadmin, topic_name, P)
    stop = threading.Event()
    consumed, assigned, errors = [], [[], []], []
    lock = threading.Lock()

    def member(i):
        try:
            c = kafka.KafkaConsumer(topic_name, bootstrap_servers=bootstrap, group_id=group,
                                    enable_auto_commit=False, auto_offset_reset="earliest",
                                    session_timeout_ms=SESSION_MS, heartbeat_interval_ms=HEARTBEAT_MS)
            try:
                while not stop.is_set():
                    recs = c.poll(timeout_ms=200)
                    assigned[i] = sorted(tp.partition for tp in c.assignment())
                    with lock:
                        for tp, rs in recs.items():
                            consumed.extend((i, r.partition, r.offset, r.value.decode()) for r in rs)
                    if recs:
                        c.commit()
            finally:
                c.close()
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=member, args=(i,), daemon=True) for i in range(2)]
    try:
        for t in threads:
            t.start()
        wait_for("kafka-python members splitting the partitions",
                 lambda: all(assigned) and sorted(assigned[0] + assigned[1]) == list(range(P)))
        _check_split(assigned, P)
        sent = produce(bootstrap, topic_name, P, 400)
        wait_for("kafka-python group consuming everything", lambda: len(consumed) >= len(sent) or errors)
        hw = end_offsets(bootstrap, topic_name, P)
        wait_for("kafka-python commits", lambda: group_offsets(gadmin, group, topic_name, P) == hw, timeout=20)
    finally:
        stop.set()
        for t in threads:
            t.join(20)
    assert not errors, errors
    assert sorted(v for *_, v in consumed) == sorted(sent)
    for i, p, _, _ in consumed:
        assert p in assigned[i]
    more = produce(bootstrap, topic_name, P, 40, start=400)
    assert sorted(v for _, _, v in consume_group_fresh(bootstrap, group, topic_name, len(more))) == sorted(more)


def test_aiokafka_group(gbroker, gadmin, topic_name):
    aiokafka = pytest.importorskip("aiokafka", reason="aiokafka is not installed")
    import asyncio
    P = 4
    bootstrap, group = gbroker.bootstrap, f"g-{topic_name}"
    create_topic(gadmin, topic_name, P)

    async def scenario():
        members = [aiokafka.AIOKafkaConsumer(topic_name, bootstrap_servers=bootstrap, group_id=group,
                                             enable_auto_commit=False, auto_offset_reset="earliest",
                                             session_timeout_ms=SESSION_MS, heartbeat_interval_ms=HEARTBEAT_MS)
                   for _ in range(2)]
        consumed = []
        stop = asyncio.Event()

        async def run(i, c):
            while not stop.is_set():
                recs = await c.getmany(timeout_ms=200)
                for tp, rs in recs.items():
                    consumed.extend((i, r.partition, r.offset, r.value.decode()) for r in rs)
                if recs:
                    await c.commit()

        for c in members:
            await c.start()
        tasks = [asyncio.create_task(run(i, c)) for i, c in enumerate(members)]
        try:
            deadline = time.monotonic() + 40
            while True:
                assigned = [sorted(tp.partition for tp in c.assignment()) for c in members]
                if all(assigned) and sorted(assigned[0] + assigned[1]) == list(range(P)):
                    break
                assert time.monotonic() < deadline, f"aiokafka members never split the partitions: {assigned}"
                for t in tasks:
                    if t.done():
                        t.result()
                await asyncio.sleep(0.1)
            _check_split(assigned, P)
            sent = await asyncio.to_thread(produce, bootstrap, topic_name, P, 400)
            hw = await asyncio.to_thread(end_offsets, bootstrap, topic_name, P)
            deadline = time.monotonic() + 40
            while len(consumed) < len(sent) or await asyncio.to_thread(group_offsets, gadmin, group, topic_name, P) != hw:
                assert time.monotonic() < deadline, f"aiokafka consumed {len(consumed)} of {len(sent)}"
                for t in tasks:
                    if t.done():
                        t.result()
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for c in members:
                await c.stop()
        return assigned, sent, consumed

    assigned, sent, consumed = asyncio.run(scenario())
    assert sorted(v for *_, v in consumed) == sorted(sent)
    for i, p, _, _ in consumed:
        assert p in assigned[i]
    more = produce(bootstrap, topic_name, P, 40, start=400)
    assert sorted(v for _, _, v in consume_group_fresh(bootstrap, group, topic_name, len(more))) == sorted(more)


# --- sarama --------------------------------------------------------------------------------------------------------

GOPATH = "/usr/share/gocode"


def test_sarama_consumer_group(gbroker, gadmin, topic_name, tmp_path):
    if shutil.which("go") is None:
        pytest.skip("go is not installed (apt: golang-go)")
    if not os.path.isdir(os.path.join(GOPATH, "src", "github.com", "Shopify", "sarama")):
        pytest.skip("sarama sources not found (apt: golang-github-shopify-sarama-dev)")
    out = str(tmp_path / "sarama-group")
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOFLAGS="")
    env.setdefault("GOCACHE", os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "go-build"))
    build = subprocess.run(["go", "build", "-o", out, "."], cwd=os.path.join(HERE, "sarama_group"), env=env,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, f"go build failed:\n{build.stderr}"
    P, N = 4, 1000
    create_topic(gadmin, topic_name, P)
    group = f"g-{topic_name}"
    proc = subprocess.run([out, "-brokers", gbroker.bootstrap, "-topic", topic_name, "-group", group,
                           "-members", "2", "-n", str(N)], capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, f"sarama-group failed:\n{proc.stdout}\n{proc.stderr}"
    assert f"ok: {N} messages" in proc.stdout, proc.stdout
    # The offsets sarama marked were committed (on close at the latest).
    assert group_offsets(gadmin, group, topic_name, P) == end_offsets(gbroker.bootstrap, topic_name, P)


def kafka_python_delete_offsets(bootstrap, group, topic, partitions):
    """OffsetDelete through kafka-python's admin: {TopicPartition: error class}; None without kafka-python."""
    try:
        import kafka
        from kafka.admin import KafkaAdminClient
    except ImportError:
        return None
    ka = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return ka.delete_group_offsets(group, [kafka.TopicPartition(topic, p) for p in partitions])
    finally:
        ka.close()


# --- AdminClient ---------------------------------------------------------------------------------------------------


def test_admin_group_apis(gbroker, gadmin, topic_name):
    from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions
    P = 3
    bootstrap, group = gbroker.bootstrap, f"g-{topic_name}"
    create_topic(gadmin, topic_name, P)
    produce(bootstrap, topic_name, P, 30)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "client.id": "admin-test-member",
                  "session.timeout.ms": SESSION_MS, "heartbeat.interval.ms": HEARTBEAT_MS})
    try:
        c.subscribe([topic_name])
        got = 0
        deadline = time.monotonic() + 30
        while got < 30:
            assert time.monotonic() < deadline, f"consumed {got} of 30"
            got += sum(1 for m in c.consume(num_messages=100, timeout=0.5) if not m.error())
        c.commit(asynchronous=False)

        listed = gadmin.list_consumer_groups().result(timeout=20)
        mine = [g for g in listed.valid if g.group_id == group]
        assert len(mine) == 1, [g.group_id for g in listed.valid]
        assert mine[0].state == ConsumerGroupState.STABLE and not mine[0].is_simple_consumer_group
        stable_only = gadmin.list_consumer_groups(states={ConsumerGroupState.STABLE}).result(timeout=20)
        assert group in {g.group_id for g in stable_only.valid}

        d = gadmin.describe_consumer_groups([group])[group].result(timeout=20)
        assert d.state == ConsumerGroupState.STABLE
        assert d.partition_assignor == "range" and not d.is_simple_consumer_group
        assert d.coordinator.port == gbroker.port
        assert len(d.members) == 1
        member = d.members[0]
        assert member.client_id == "admin-test-member" and member.member_id
        assert sorted((tp.topic, tp.partition) for tp in member.assignment.topic_partitions) == \
            [(topic_name, p) for p in range(P)]

        refused = kafka_python_delete_offsets(bootstrap, group, topic_name, [0])
        if refused is not None:
            assert [e.__name__ for e in refused.values()] == ["GroupSubscribedToTopicError"], refused
        # An admin commit (no member, generation -1) to a group with members is refused.
        busy = ConsumerGroupTopicPartitions(group, [TopicPartition(topic_name, 0, 1)])
        with pytest.raises(KafkaException) as e:
            res = gadmin.alter_consumer_group_offsets([busy])[group].result(timeout=20)
            for tp in res.topic_partitions:
                if tp.error:
                    raise KafkaException(tp.error)
        assert e.value.args[0].code() == KafkaError.UNKNOWN_MEMBER_ID, e.value
        err = gadmin.delete_consumer_groups([group])[group]
        with pytest.raises(KafkaException) as e:
            err.result(timeout=20)
        assert e.value.args[0].code() == KafkaError.NON_EMPTY_GROUP
    finally:
        c.close()

    d = gadmin.describe_consumer_groups([group])[group].result(timeout=20)
    assert d.state == ConsumerGroupState.EMPTY and d.members == []
    assert group_offsets(gadmin, group, topic_name, P) == {p: 10 for p in range(P)}

    # Alter to specific offsets, then reset to the earliest.
    req = ConsumerGroupTopicPartitions(group, [TopicPartition(topic_name, 0, 3), TopicPartition(topic_name, 2, 7)])
    res = gadmin.alter_consumer_group_offsets([req])[group].result(timeout=20)
    assert sorted((tp.partition, tp.offset, tp.error) for tp in res.topic_partitions) == [(0, 3, None), (2, 7, None)]
    assert group_offsets(gadmin, group, topic_name, P) == {0: 3, 1: 10, 2: 7}
    req = ConsumerGroupTopicPartitions(group, [TopicPartition(topic_name, p, 0) for p in range(P)])
    gadmin.alter_consumer_group_offsets([req])[group].result(timeout=20)
    assert group_offsets(gadmin, group, topic_name, P) == {p: 0 for p in range(P)}
    fresh = consume_group_fresh(bootstrap, group, topic_name, 30)
    assert len(fresh) == 30 and all(o < 10 for _, o, _ in fresh)

    # OffsetDelete (confluent-kafka has no client for it; kafka-python's admin sends it).
    result = kafka_python_delete_offsets(bootstrap, group, topic_name, [1])
    if result is not None:
        assert [e.__name__ for e in result.values()] == ["NoError"], result
        assert group_offsets(gadmin, group, topic_name, P) == {0: 10, 2: 10}

    gadmin.delete_consumer_groups([group])[group].result(timeout=20)
    listed = gadmin.list_consumer_groups().result(timeout=20)
    assert group not in {g.group_id for g in listed.valid}
    assert group_offsets(gadmin, group, topic_name, P) == {}


def test_commit_to_unknown_topic(gbroker, gadmin, topic_name):
    """OffsetCommit naming a topic that does not exist is refused per partition (UNKNOWN_TOPIC_OR_PARTITION), as
    Kafka refuses it, and commits for existing topics in the same request still land."""
    create_topic(gadmin, topic_name, 2)
    group = f"g-{topic_name}"
    c = Consumer({"bootstrap.servers": gbroker.bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        with pytest.raises(KafkaException) as e:
            c.commit(offsets=[TopicPartition(topic_name, 1, 4), TopicPartition(f"{topic_name}-missing", 0, 5)],
                     asynchronous=False)
        assert e.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART, e.value
    finally:
        c.close()
    assert group_offsets(gadmin, group) == {1: 4}


def test_static_member_restart_keeps_assignment(gbroker, gadmin, topic_name):
    """KIP-345: a static follower that restarts within its session gets its partitions back without moving the
    other member's (librdkafka sends no LeaveGroup for static members)."""
    P = 4
    create_topic(gadmin, topic_name, P)
    group, log = f"g-{topic_name}", []

    def member(name, instance):
        c = Consumer({"bootstrap.servers": gbroker.bootstrap, "group.id": group, "group.instance.id": instance,
                      "session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
        c.subscribe([topic_name], on_assign=lambda _c, ps: log.append((name, "assign", sorted(p.partition for p in ps))),
                    on_revoke=lambda _c, ps: log.append((name, "revoke", sorted(p.partition for p in ps))))
        return c

    def pump(cs, until):
        deadline = time.monotonic() + 30
        while not until():
            assert time.monotonic() < deadline, f"timed out; rebalance log {log}"
            for c in cs:
                c.poll(0.05)

    leader = member("leader", "static-a")
    pump([leader], lambda: ("leader", "assign", list(range(P))) in log)
    follower = member("follower", "static-b")
    pump([leader, follower], lambda: any(e[0] == "follower" and e[1] == "assign" and e[2] for e in log))
    theirs = next(e[2] for e in log if e[0] == "follower" and e[1] == "assign")
    mark = len(log)
    follower.close()
    again = member("again", "static-b")
    try:
        pump([leader, again], lambda: any(e[0] == "again" and e[1] == "assign" for e in log[mark:]))
        settle = time.monotonic() + 1.5  # a rebalance of the other member would show up here
        pump([leader, again], lambda: time.monotonic() > settle)
        assert [e for e in log[mark:] if e[0] == "again"] == [("again", "assign", theirs)]
        assert not [e for e in log[mark:] if e[0] == "leader"], f"the other member was rebalanced: {log[mark:]}"
        d = gadmin.describe_consumer_groups([group])[group].result(timeout=20)
        assert sorted(m.group_instance_id for m in d.members) == ["static-a", "static-b"]
    finally:
        again.close()
        leader.close()


# --- durability ----------------------------------------------------------------------------------------------------


def test_committed_offsets_survive_broker_sigkill(broker_factory):
    b = broker_factory(overrides=GROUP_OVERRIDES, name="group-crash")
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    topic, P = "group-durable", 3
    create_topic(admin, topic, P)
    produce(b.bootstrap, topic, P, 60)
    # A group member's commits, and a standalone (assign-only) group's commit with metadata.
    got = []
    member = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "durable-members", "auto.offset.reset": "earliest",
                       "enable.auto.commit": False, "session.timeout.ms": SESSION_MS})
    try:
        member.subscribe([topic])
        deadline = time.monotonic() + 30
        while len(got) < 45:
            assert time.monotonic() < deadline
            for m in member.consume(num_messages=1, timeout=0.5):
                if not m.error():
                    got.append(m)
                    if len(got) == 45:
                        break
        member.commit(asynchronous=False)
    finally:
        member.close()
    members_committed = group_offsets(admin, "durable-members", topic, P)
    assert sum(members_committed.values()) == 45
    simple = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "durable-simple", "enable.auto.commit": False})
    try:
        simple.assign([TopicPartition(topic, p) for p in range(P)])
        simple.commit(offsets=[TopicPartition(topic, 0, 5, metadata="m0"), TopicPartition(topic, 2, 17)],
                      asynchronous=False)
    finally:
        simple.close()
    assert group_offsets(admin, "durable-simple", topic, P) == {0: 5, 2: 17}
    del admin

    b.restart(hard=True)
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    assert group_offsets(admin, "durable-members", topic, P) == members_committed
    assert group_offsets(admin, "durable-simple", topic, P) == {0: 5, 2: 17}
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "durable-simple"})
    try:
        meta = {tp.partition: tp.metadata for tp in c.committed([TopicPartition(topic, 0)], timeout=10)}
    finally:
        c.close()
    assert meta == {0: "m0"}
    listed = {g.group_id for g in admin.list_consumer_groups().result(timeout=20).valid}
    assert {"durable-members", "durable-simple"} <= listed


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "ck-worker":
        _worker_main(json.loads(sys.argv[2]))
    else:
        sys.exit("usage: test_groups.py ck-worker '<json>'")
