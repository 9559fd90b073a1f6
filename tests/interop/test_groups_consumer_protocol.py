"""KIP-848 consumer groups (group.protocol=consumer) driven by confluent-kafka (librdkafka): members joining and
leaving one by one, regular-expression subscriptions resolved by the broker (new matching topics picked up), the
server-side range assignor, and the AdminClient on consumer-protocol groups. The SIGKILL test for this protocol is
`test_groups.py::test_confluent_group_member_killed[consumer]`.
"""
import time

import pytest

ck = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
from confluent_kafka import Consumer, ConsumerGroupState, ConsumerGroupTopicPartitions, ConsumerGroupType, TopicPartition  # noqa: E402
from confluent_kafka.admin import NewTopic  # noqa: E402

from test_groups import (Worker, consumer_conf, create_topic, exact_cover, gadmin, gbroker, group_offsets,  # noqa: E402,F401
                         produce, wait_for)


def owning_all(workers, partitions):
    return (lambda s: s if s and all(s) else None)(exact_cover(workers, partitions))


def test_members_join_and_leave_one_by_one(gbroker, gadmin, topic_name):
    """Each join and each leave ends with every partition owned exactly once, balanced, with nothing lost."""
    P = 6
    bootstrap, group = gbroker.bootstrap, f"g848-{topic_name}"
    create_topic(gadmin, topic_name, P)
    sent = produce(bootstrap, topic_name, P, 300)
    workers = []
    try:
        for i in range(3):
            workers.append(Worker(f"w{i}", bootstrap=bootstrap, group=group, topic=topic_name, batch=5, protocol="consumer"))
            t0 = time.monotonic()
            owned = wait_for(f"{i + 1} members owning every partition once", lambda: owning_all(workers, P), timeout=30)
            assert max(len(s) for s in owned) - min(len(s) for s in owned) <= 1, owned
            print(f"\n[kip-848] member {i + 1} joined: settled in {time.monotonic() - t0:.2f}s, split {sorted(len(s) for s in owned)}")
        leaver = workers.pop(0)
        t0 = time.monotonic()
        leaver.stop()
        owned = wait_for("the two remaining members owning every partition", lambda: owning_all(workers, P), timeout=30)
        print(f"[kip-848] a member left: settled in {time.monotonic() - t0:.2f}s, split {sorted(len(s) for s in owned)}")
        assert sorted(len(s) for s in owned) == [3, 3]
        sent.update(produce(bootstrap, topic_name, P, 60, start=300))
        everyone = workers + [leaver]
        wait_for("every message consumed", lambda: set(sent) <= {v for w in everyone for _, _, v in w.consumed()})
        for w in workers:
            w.stop()
    finally:
        for w in workers:
            w.close_quietly()


def test_regex_subscription_follows_new_topics(gbroker, gadmin, topic_name):
    bootstrap, group = gbroker.bootstrap, f"g848-rx-{topic_name}"
    prefix = f"rx-{topic_name}"
    for t in (f"{prefix}-a", f"{prefix}-b", f"other-{topic_name}"):
        create_topic(gadmin, t, 2)
        produce(bootstrap, t, 2, 20, prefix=t)
    c = Consumer(consumer_conf(bootstrap, group, "consumer"))
    got = {}

    def pump(until, timeout=30):
        deadline = time.monotonic() + timeout
        while not until():
            assert time.monotonic() < deadline, f"consumed so far: {got}"
            m = c.poll(0.1)
            if m is not None and not m.error():
                got[m.topic()] = got.get(m.topic(), 0) + 1

    try:
        c.subscribe([f"^{prefix}-.*"])
        pump(lambda: got.get(f"{prefix}-a") == 20 and got.get(f"{prefix}-b") == 20)
        # A topic created later that matches is assigned by the broker without the client doing anything.
        create_topic(gadmin, f"{prefix}-c", 3)
        produce(bootstrap, f"{prefix}-c", 3, 30, prefix=f"{prefix}-c")
        t0 = time.monotonic()
        pump(lambda: got.get(f"{prefix}-c") == 30)
        print(f"\n[kip-848] new matching topic consumed {time.monotonic() - t0:.2f}s after it was produced to")
        for _ in range(10):
            m = c.poll(0.1)
            assert m is None or m.error() or m.topic().startswith(prefix), m.topic()
        assert f"other-{topic_name}" not in got
    finally:
        c.close()


def test_server_range_assignor_and_admin(gbroker, gadmin, topic_name):
    """group.remote.assignor=range; then the AdminClient describes, lists, reads offsets of and deletes the group."""
    P = 4
    bootstrap, group = gbroker.bootstrap, f"g848-adm-{topic_name}"
    create_topic(gadmin, topic_name, P)
    produce(bootstrap, topic_name, P, 40)
    consumers = []
    for _ in range(2):
        conf = consumer_conf(bootstrap, group, "consumer")
        conf["group.remote.assignor"] = "range"
        c = Consumer(conf)
        c.subscribe([topic_name])
        consumers.append(c)
    try:
        def split():
            for c in consumers:
                c.poll(0.05)
            sets = [sorted(tp.partition for tp in c.assignment()) for c in consumers]
            return sets if sorted(sets) == [[0, 1], [2, 3]] else None
        wait_for("the range split [0, 1] / [2, 3]", split, timeout=30)
        for c in consumers:
            for m in c.consume(num_messages=100, timeout=1.0):
                pass
            c.commit(asynchronous=False)

        d = gadmin.describe_consumer_groups([group])[group].result(timeout=20)
        assert d.type == ConsumerGroupType.CONSUMER
        assert d.state == ConsumerGroupState.STABLE
        assert d.partition_assignor == "range"
        assigned = sorted(tp.partition for m in d.members for tp in m.assignment.topic_partitions)
        assert assigned == list(range(P)) and len(d.members) == 2

        listed = gadmin.list_consumer_groups(types={ConsumerGroupType.CONSUMER}).result(timeout=20)
        assert group in {g.group_id for g in listed.valid if g.type == ConsumerGroupType.CONSUMER}
        classic = gadmin.list_consumer_groups(types={ConsumerGroupType.CLASSIC}).result(timeout=20)
        assert group not in {g.group_id for g in classic.valid}
        assert sum(group_offsets(gadmin, group, topic_name, P).values()) > 0

        # A member may not delete its live group; once everyone left, offsets can be reset and the group deleted.
        with pytest.raises(Exception):
            gadmin.delete_consumer_groups([group])[group].result(timeout=20)
    finally:
        for c in consumers:
            c.close()
    wait_for("the group to be empty", lambda: gadmin.describe_consumer_groups([group])[group].result(timeout=20).state
             == ConsumerGroupState.EMPTY, timeout=20)
    gadmin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic_name, 0, 3)])])[group].result(timeout=20)
    assert group_offsets(gadmin, group, topic_name, P)[0] == 3
    gadmin.delete_consumer_groups([group])[group].result(timeout=20)
    assert group_offsets(gadmin, group, topic_name, P) == {}


def test_group_survives_broker_sigkill(broker_factory):
    """A consumer-protocol group is loaded from __consumer_offsets after a SIGKILL: the live member carries on at its
    epoch (no partitions lost or revoked) and its commits are there."""
    from confluent_kafka.admin import AdminClient
    from test_groups import GROUP_OVERRIDES
    b = broker_factory(overrides=GROUP_OVERRIDES, name="kip848-crash")
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    topic, P, group = "kip848-durable", 3, "kip848-durable"
    create_topic(admin, topic, P)
    produce(b.bootstrap, topic, P, 30)
    events = []
    c = Consumer(consumer_conf(b.bootstrap, group, "consumer"))
    got = []

    def pump(n, timeout=30):
        deadline = time.monotonic() + timeout
        while len(got) < n:
            assert time.monotonic() < deadline, f"read {len(got)} of {n}"
            for m in c.consume(num_messages=100, timeout=0.2):
                if not m.error():
                    got.append(m.value().decode())

    try:
        c.subscribe([topic], on_assign=lambda _c, ps: events.append(("assign", sorted(p.partition for p in ps))),
                    on_revoke=lambda _c, ps: events.append(("revoke", sorted(p.partition for p in ps))),
                    on_lost=lambda _c, ps: events.append(("lost", sorted(p.partition for p in ps))))
        pump(30)
        c.commit(asynchronous=False)
        before = admin.describe_consumer_groups([group])[group].result(timeout=20)
        assert before.state == ConsumerGroupState.STABLE and len(before.members) == 1
        del admin

        b.restart(hard=True)
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        assert group_offsets(admin, group, topic, P) == {0: 10, 1: 10, 2: 10}
        sent = produce(b.bootstrap, topic, P, 30, start=30)
        pump(60)
        after = admin.describe_consumer_groups([group])[group].result(timeout=20)
        assert [m.member_id for m in after.members] == [m.member_id for m in before.members]
        assert sorted(got) == sorted(set(got)), "a message was delivered twice"
        assert set(sent) <= set(got)
        assert events == [("assign", [0, 1, 2])], f"the member's assignment moved: {events}"
    finally:
        c.close()


def test_paused_member_is_fenced_and_rejoins(gbroker, gadmin, topic_name):
    """SIGSTOP a member past its session: the others take its partitions; on SIGCONT it learns it lost them,
    rejoins with its member id, and the group rebalances to three again; nothing is lost."""
    import signal
    P = 6
    bootstrap, group = gbroker.bootstrap, f"g848-zombie-{topic_name}"
    create_topic(gadmin, topic_name, P)
    workers = [Worker(f"w{i}", bootstrap=bootstrap, group=group, topic=topic_name, batch=5, protocol="consumer")
               for i in range(3)]
    try:
        wait_for("three members owning every partition once", lambda: owning_all(workers, P), timeout=30)
        sent = produce(bootstrap, topic_name, P, 300)
        zombie, others = workers[0], workers[1:]
        wait_for("the member to consume", lambda: len(zombie.consumed()) >= 10)
        zombie.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        wait_for("the two others owning all partitions", lambda: owning_all(others, P), timeout=30)
        print(f"\n[kip-848] paused member fenced; others own everything {time.monotonic() - stopped:.2f}s after SIGSTOP")
        zombie.proc.send_signal(signal.SIGCONT)
        resumed = time.monotonic()
        # librdkafka reports partitions it was fenced from as lost (or, in some paths, revoked).
        wait_for("the paused member to give up its partitions",
                 lambda: [e for e in zombie.snapshot() if e["ev"] in ("lost", "revoke") and e["t"] >= resumed], timeout=30)
        owned = wait_for("three members again", lambda: owning_all(workers, P), timeout=30)
        assert sorted(len(s) for s in owned) == [2, 2, 2], owned
        sent.update(produce(bootstrap, topic_name, P, 60, start=300))
        wait_for("every message consumed", lambda: set(sent) <= {v for w in workers for _, _, v in w.consumed()})
        for w in workers:
            w.stop()
    finally:
        for w in workers:
            try:
                w.proc.send_signal(signal.SIGCONT)
            except OSError:
                pass
            w.close_quietly()


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_rolling_upgrade_from_classic(gbroker, gadmin, topic_name, strategy):
    """KIP-848 online upgrade: two classic members own the partitions; a third member on group.protocol=consumer
    joins the same group (it becomes a consumer group, the classic members carry on inside it); then the classic
    members are replaced one by one. Every step ends with every partition owned exactly once and nothing lost."""
    P = 6
    bootstrap, group = gbroker.bootstrap, f"g848-up-{topic_name}"
    create_topic(gadmin, topic_name, P)
    sent = produce(bootstrap, topic_name, P, 120)
    classic = [Worker(f"c{i}", bootstrap=bootstrap, group=group, topic=topic_name, batch=5, strategy=strategy)
               for i in range(2)]
    workers = list(classic)
    try:
        wait_for("two classic members owning every partition", lambda: owning_all(workers, P), timeout=30)
        t0 = time.monotonic()
        workers.append(Worker("n0", bootstrap=bootstrap, group=group, topic=topic_name, batch=5, protocol="consumer"))
        owned = wait_for("two classic and one consumer-protocol member sharing the partitions",
                         lambda: (lambda s: s if s and sorted(len(x) for x in s) == [2, 2, 2] else None)(owning_all(workers, P)),
                         timeout=40)
        print(f"\n[kip-848] {strategy}: consumer-protocol member joined the classic group, settled in "
              f"{time.monotonic() - t0:.2f}s, split {sorted(len(s) for s in owned)}")
        d = gadmin.describe_consumer_groups([group])[group].result(timeout=20)
        assert d.type == ConsumerGroupType.CONSUMER and len(d.members) == 3
        for i, old in enumerate(classic):  # replace each classic member by a consumer-protocol one
            old.stop()
            workers.remove(old)
            workers.append(Worker(f"n{i + 1}", bootstrap=bootstrap, group=group, topic=topic_name, batch=5,
                                  protocol="consumer"))
            wait_for(f"replacement {i + 1} settled",
                     lambda: (lambda s: s if s and sorted(len(x) for x in s) == [2, 2, 2] else None)(owning_all(workers, P)),
                     timeout=40)
        sent.update(produce(bootstrap, topic_name, P, 60, start=120))
        everyone = classic + workers
        wait_for("every message consumed", lambda: set(sent) <= {v for w in everyone for _, _, v in w.consumed()})
        for w in workers:
            w.stop()
    finally:
        for w in classic + workers:
            w.close_quietly()


def test_downgrade_when_last_consumer_member_leaves(gbroker, gadmin, topic_name):
    """A consumer group with one consumer-protocol and two classic members: when the consumer-protocol member leaves,
    the group becomes a classic group again and the classic members share everything."""
    P = 6
    bootstrap, group = gbroker.bootstrap, f"g848-down-{topic_name}"
    create_topic(gadmin, topic_name, P)
    sent = produce(bootstrap, topic_name, P, 60)
    first = Worker("n0", bootstrap=bootstrap, group=group, topic=topic_name, batch=5, protocol="consumer")
    workers = [first]
    try:
        wait_for("the consumer-protocol member owning everything", lambda: owning_all(workers, P), timeout=30)
        for i in range(2):
            workers.append(Worker(f"c{i}", bootstrap=bootstrap, group=group, topic=topic_name, batch=5, strategy="range"))
        wait_for("three members sharing the partitions",
                 lambda: (lambda s: s if s and sorted(len(x) for x in s) == [2, 2, 2] else None)(owning_all(workers, P)),
                 timeout=40)
        first.stop()
        workers.remove(first)
        t0 = time.monotonic()
        owned = wait_for("the two classic members owning everything",
                         lambda: (lambda s: s if s and sorted(len(x) for x in s) == [3, 3] else None)(owning_all(workers, P)),
                         timeout=40)
        print(f"\n[kip-848] downgrade: classic members own everything {time.monotonic() - t0:.2f}s after the last "
              f"consumer-protocol member left ({sorted(len(s) for s in owned)})")
        d = gadmin.describe_consumer_groups([group])[group].result(timeout=20)
        assert d.type == ConsumerGroupType.CLASSIC and len(d.members) == 2, (d.type, len(d.members))
        sent.update(produce(bootstrap, topic_name, P, 30, start=60))
        everyone = workers + [first]
        wait_for("every message consumed", lambda: set(sent) <= {v for w in everyone for _, _, v in w.consumed()})
        for w in workers:
            w.stop()
    finally:
        for w in workers + [first]:
            w.close_quietly()


def test_kafka_python_classic_member_in_consumer_group(gbroker, gadmin, topic_name):
    """kafka-python (classic protocol only) joins a group a group.protocol=consumer member runs: it becomes a classic
    member of the consumer group, the two split the partitions, and every message is consumed once."""
    import threading
    kafka = pytest.importorskip("kafka", reason="kafka-python is not installed")
    from test_groups import HEARTBEAT_MS, SESSION_MS
    P = 4
    bootstrap, group = gbroker.bootstrap, f"g848-kp-{topic_name}"
    create_topic(gadmin, topic_name, P)
    modern = Worker("n0", bootstrap=bootstrap, group=group, topic=topic_name, batch=5, protocol="consumer")
    stop = threading.Event()
    kp_assigned, kp_consumed, errors = [], [], []

    def kp_member():
        try:
            c = kafka.KafkaConsumer(topic_name, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                    auto_offset_reset="earliest", session_timeout_ms=SESSION_MS,
                                    heartbeat_interval_ms=HEARTBEAT_MS)
            try:
                while not stop.is_set():
                    recs = c.poll(timeout_ms=200)
                    kp_assigned[:] = [sorted(tp.partition for tp in c.assignment())]
                    for tp, rs in recs.items():
                        kp_consumed.extend(r.value.decode() for r in rs)
                    if recs:
                        c.commit()
            finally:
                c.close()
        except Exception as e:  # reported below
            errors.append(e)

    thread = threading.Thread(target=kp_member, daemon=True)
    try:
        wait_for("the consumer-protocol member owning everything", lambda: owning_all([modern], P), timeout=30)
        thread.start()

        def split():
            kp = set(kp_assigned[0]) if kp_assigned else set()
            mine = set(modern.owned)
            return len(kp) == 2 and len(mine) == 2 and kp | mine == set(range(P)) and not (kp & mine)
        wait_for("kafka-python and librdkafka splitting the partitions 2/2", split, timeout=40)
        d = gadmin.describe_consumer_groups([group])[group].result(timeout=20)
        assert d.type == ConsumerGroupType.CONSUMER and len(d.members) == 2
        sent = produce(bootstrap, topic_name, P, 200)
        wait_for("every message consumed", lambda: set(sent) <= set(kp_consumed) | {v for _, _, v in modern.consumed()} or errors)
        assert not errors, errors
        both = kp_consumed + [v for _, _, v in modern.consumed()]
        assert sorted(both) == sorted(sent), "a message was consumed twice or lost"
    finally:
        stop.set()
        thread.join(20)
        modern.stop()
        modern.close_quietly()
