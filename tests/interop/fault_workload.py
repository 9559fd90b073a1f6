"""The clients of the fault rounds (fault_rounds.py): a transactional producer and a read_committed consumer group,
each on its own thread, keeping what the cluster told them so that a checker can hold the cluster to it.

The idempotent acks=all producer of the rounds is test_replication.ProducerRun."""
import random
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

TXN_RECORDS = 5


class ClientThread:
    """A client loop (`_run`) on a daemon thread of its own, told to end through `stop`."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        raise NotImplementedError


class TxnRun(ClientThread):
    """Transactions of TXN_RECORDS records (keys t<n>-<j>) to `topic`, one every ~`pause` s, committed or aborted
    by a seeded coin. `outcome` {n: "committed" | "aborted" | "unknown"}: committed only when commit_transaction
    returned, aborted only when abort_transaction did; unknown when an error left it open (a new producer with the
    same transactional.id then finishes it, one way or the other: all its records or none)."""

    def __init__(self, bootstrap, topic, seed, pause=0.2):
        self.conf = {"bootstrap.servers": bootstrap, "transactional.id": f"{topic}-txn", "linger.ms": 5,
                     "transaction.timeout.ms": 60000, "message.timeout.ms": 60000}
        self.topic, self.pause = topic, pause
        self.rng = random.Random(seed)
        self.outcome = {}
        self.errors = []
        self.restarts = 0
        super().__init__()

    def _producer(self):
        while not self.stop.is_set():
            p = Producer(self.conf)
            try:
                p.init_transactions(60)
                return p
            except KafkaException as e:
                self.errors.append(f"init_transactions: {e.args[0].name()}")
                self.restarts += 1
        return None

    def _finish(self, p, commit):
        """Commits or aborts the open transaction: its outcome, and whether the producer can go on."""
        for _ in range(5):
            try:
                (p.commit_transaction if commit else p.abort_transaction)(60)
                return ("committed" if commit else "aborted"), True
            except KafkaException as e:
                err = e.args[0]
                self.errors.append(f"{'commit' if commit else 'abort'}: {err.name()}")
                if err.fatal():
                    return "unknown", False
                if err.txn_requires_abort() and commit:
                    return self._finish(p, False)
                if not err.retriable():
                    return "unknown", False
        return "unknown", False

    def _run(self):
        p = self._producer()
        n = 0
        while p is not None and not self.stop.is_set():
            commit = self.rng.random() < 0.7
            try:
                p.begin_transaction()
                for j in range(TXN_RECORDS):
                    p.produce(self.topic, key=f"t{n}-{j}".encode(), value=f"txn-{n}-{j}".encode())
                self.outcome[n] = "unknown"
                result, usable = self._finish(p, commit)
            except KafkaException as e:
                self.errors.append(f"in transaction {n}: {e.args[0].name()}")
                result, usable = "unknown", False
            self.outcome[n] = result
            n += 1
            if not usable:
                self.restarts += 1
                p = self._producer()
            time.sleep(self.pause)

    def finish(self, seconds=120):
        """Stops after the transaction in progress; a transaction left open by an error is finished by a new
        producer's init_transactions (which completes or aborts it), so that nothing stays open. A sentence when
        that failed, else None."""
        self.stop.set()
        self.thread.join(seconds)
        if self.thread.is_alive():
            return f"the transactional producer did not stop within {seconds} s"
        if "unknown" in self.outcome.values():
            try:
                Producer(self.conf).init_transactions(60)
            except KafkaException as e:
                return f"init_transactions to finish a transaction of unknown outcome: {e.args[0].name()}"
        return None


class GroupReader(ClientThread):
    """A read_committed consumer in group `group` subscribed to `topics`, committing synchronously every `every`
    records. `seen` [(topic, partition, offset, key, value)]; `committed` {(topic, partition): offset} of the
    commits the coordinator acknowledged (the highest per partition)."""

    def __init__(self, bootstrap, topics, group, every=100):
        self.conf = {"bootstrap.servers": bootstrap, "group.id": group, "isolation.level": "read_committed",
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"}
        self.topics, self.every = topics, every
        self.seen, self.errors = [], []
        self.committed = {}
        self.commit_failures = 0
        super().__init__()

    def _commit(self, c):
        try:
            for tp in c.commit(asynchronous=False) or []:
                if tp.error is None and tp.offset >= 0:
                    key = (tp.topic, tp.partition)
                    self.committed[key] = max(self.committed.get(key, -1), tp.offset)
        except KafkaException:
            self.commit_failures += 1

    def _run(self):
        c = Consumer(self.conf)
        c.subscribe(self.topics)
        since = 0
        try:
            while not self.stop.is_set():
                m = c.poll(0.2)
                if m is None:
                    continue
                if m.error() is not None:
                    self.errors.append(m.error().name())
                    continue
                self.seen.append((m.topic(), m.partition(), m.offset(), m.key(), m.value()))
                since += 1
                if since >= self.every:
                    since = 0
                    self._commit(c)
            self._commit(c)
        finally:
            c.close()

    def finish(self, seconds=60):
        """Stops the reader; a sentence when it did not stop within `seconds` (a commit or close that the cluster
        never answered), else None."""
        self.stop.set()
        self.thread.join(seconds)
        return f"the group reader did not stop within {seconds} s" if self.thread.is_alive() else None


def read_committed(bootstrap, topic, partitions, seconds=60):
    """Every record a fresh read_committed consumer reads from `topic`'s start up to the high watermarks it is told
    first (its position passing them, markers included): {partition: [(offset, key, value)]}."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-final-committed", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    try:
        highs = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1] for p in range(partitions)}
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        log = {p: [] for p in range(partitions)}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                log[m.partition()].append((m.offset(), m.key(), m.value()))
            positions = c.position([TopicPartition(topic, p) for p in range(partitions)])
            if all(tp.offset >= highs[tp.partition] for tp in positions):
                break
        return log
    finally:
        c.close()


def committed_offsets(bootstrap, group, keys, seconds=30):
    """{(topic, partition): offset} the group coordinator answers for `group` now (-1001 for none)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return {(tp.topic, tp.partition): tp.offset
                for tp in c.committed([TopicPartition(t, p) for t, p in keys], timeout=seconds)}
    finally:
        c.close()
