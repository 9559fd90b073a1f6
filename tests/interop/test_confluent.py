"""confluent-kafka (librdkafka): AdminClient, idempotent and plain producers, a consumer with assign() only."""
import os
import time

import pytest

ck = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed (pip install confluent-kafka)")
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from helpers import check_partitioned, make_messages  # noqa: E402

# ApiVersions keys of the admin APIs these tests would use when the broker serves them.
DESCRIBE_CONFIGS, ALTER_CONFIGS, CREATE_PARTITIONS, DELETE_RECORDS, INCREMENTAL_ALTER_CONFIGS = 32, 33, 37, 21, 44


_admins = {}


def admin(bootstrap):
    """One AdminClient per broker, kept for the session (a client destroyed before its futures resolve fails them
    with _DESTROY)."""
    if bootstrap not in _admins:
        _admins[bootstrap] = AdminClient({"bootstrap.servers": bootstrap})
    return _admins[bootstrap]


def create(bootstrap, topic, partitions=1, rf=1, config=None, validate_only=False):
    client = admin(bootstrap)  # kept alive until the result is in
    futures = client.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=rf, config=config or {})],
        validate_only=validate_only, operation_timeout=10, request_timeout=15)
    return futures[topic].result(timeout=20)


def create_error(bootstrap, topic, **kw):
    with pytest.raises(KafkaException) as e:
        create(bootstrap, topic, **kw)
    return e.value.args[0]


def served_apis(bootstrap):
    import kafka_wire
    _, error, ranges = kafka_wire.parse_api_versions_v0(kafka_wire.api_versions(bootstrap, version=0))
    assert error == 0
    return ranges


def consume_assigned(bootstrap, topic, partitions, extra=None):
    """assign() from the beginning, consume() until EOF on every partition; no group use (no subscribe, no commits)."""
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": "interop-assign-only",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
    }
    conf.update(extra or {})
    c = Consumer(conf)
    try:
        c.assign([TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
        consumed = []
        at_eof = set()
        deadline = time.monotonic() + 60
        while len(at_eof) < partitions:
            assert time.monotonic() < deadline, f"no EOF on partitions {set(range(partitions)) - at_eof} after 60s"
            for m in c.consume(num_messages=1000, timeout=1.0):
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        at_eof.add(m.partition())
                        continue
                    raise KafkaException(m.error())
                at_eof.discard(m.partition())
                consumed.append((m.partition(), m.offset(), m.key(), m.value(), m.headers() or []))
        return consumed
    finally:
        c.close()


@pytest.mark.parametrize("idempotent", [True, False], ids=["idempotent", "plain"])
def test_produce_consume_10000(bootstrap, topic_name, idempotent):
    create(bootstrap, topic_name, partitions=6, config={"retention.ms": "86400000"})
    messages = make_messages(10_000)
    delivered = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            delivered[msg.value()] = (msg.partition(), msg.offset())

    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": idempotent,
                  "linger.ms": 20, "compression.type": "lz4"})
    for k, v, h in messages:
        while True:
            try:
                p.produce(topic_name, key=k, value=v, headers=h, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    assert p.flush(60) == 0, "messages left undelivered"
    assert not errors, errors[:5]
    assert len(delivered) == len(messages)

    consumed = consume_assigned(bootstrap, topic_name, 6)
    by_partition = check_partitioned(messages, consumed)
    assert len(by_partition) > 1, "all keys landed on one partition"
    for partition, offset, _, value, _ in consumed:
        assert delivered[value] == (partition, offset), "delivery report and fetched position differ"


def test_admin_create_list_describe_delete(bootstrap, topic_name, broker_process):
    res = create(bootstrap, topic_name, partitions=3, config={"cleanup.policy": "delete", "segment.bytes": "1048576"})
    assert res is None
    md = admin(bootstrap).list_topics(timeout=10)
    assert topic_name in md.topics
    t = md.topics[topic_name]
    assert t.error is None
    assert sorted(t.partitions) == [0, 1, 2]
    for p in t.partitions.values():
        assert p.leader == 1 and p.replicas == [1] and p.isrs == [1]
    assert md.brokers[1].port == broker_process.port

    client = admin(bootstrap)
    cluster = client.describe_cluster(request_timeout=10).result(timeout=15)
    assert cluster.cluster_id
    assert cluster.controller.id == 1
    assert [n.id for n in cluster.nodes] == [1]
    assert cluster.nodes[0].port == broker_process.port

    # Put data in so the partition directories exist with segments.
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(30):
        p.produce(topic_name, value=b"x", partition=i % 3)
    assert p.flush(30) == 0
    dirs = [d for d in os.listdir(broker_process.log_dir) if d.startswith(topic_name + "-")]
    assert sorted(dirs) == [f"{topic_name}-{i}" for i in range(3)]

    client = admin(bootstrap)
    client.delete_topics([topic_name], operation_timeout=10)[topic_name].result(timeout=20)
    md = admin(bootstrap).list_topics(timeout=10)
    assert topic_name not in md.topics
    # Asked by name (by a consumer handle: a producer-type handle, as AdminClient is, lets the broker auto-create it).
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": "probe", "allow.auto.create.topics": False})
    try:
        md = probe.list_topics(topic=topic_name, timeout=10)
    finally:
        probe.close()
    assert md.topics[topic_name].error is not None
    assert md.topics[topic_name].error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    # The partition directories go (Kafka renames them *-delete and removes them shortly after).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = [d for d in os.listdir(broker_process.log_dir) if d.startswith(topic_name + "-") or d.startswith(topic_name + ".")]
        if not left:
            break
        time.sleep(0.1)
    assert not left, f"partition directories left after delete: {left}"


def test_admin_validate_only(bootstrap, topic_name):
    assert create(bootstrap, topic_name, partitions=4, validate_only=True) is None
    md = admin(bootstrap).list_topics(timeout=10)
    assert topic_name not in md.topics, "validate_only created the topic"


def test_admin_errors(bootstrap, topic_name):
    create(bootstrap, topic_name)
    assert create_error(bootstrap, topic_name).code() == KafkaError.TOPIC_ALREADY_EXISTS
    assert create_error(bootstrap, topic_name + "-zero", partitions=0).code() == KafkaError.INVALID_PARTITIONS
    assert create_error(bootstrap, topic_name + "-rf", rf=3).code() == KafkaError.INVALID_REPLICATION_FACTOR
    assert create_error(bootstrap, "bad/name").code() == KafkaError.TOPIC_EXCEPTION
    assert create_error(bootstrap, "x" * 250).code() == KafkaError.TOPIC_EXCEPTION
    assert create_error(bootstrap, topic_name + "-cfg", config={"no.such.config": "1"}).code() == KafkaError.INVALID_CONFIG
    assert create_error(bootstrap, topic_name + "-val", config={"retention.ms": "soon"}).code() == KafkaError.INVALID_CONFIG
    # validate_only reports the same errors.
    assert create_error(bootstrap, topic_name, validate_only=True).code() == KafkaError.TOPIC_ALREADY_EXISTS
    # Deleting an unknown topic.
    with pytest.raises(KafkaException) as e:
        client = admin(bootstrap)
        client.delete_topics([topic_name + "-missing"], operation_timeout=10)[topic_name + "-missing"].result(timeout=20)
    assert e.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def _require(bootstrap, key, name):
    if key not in served_apis(bootstrap):
        print(f"\n[interop] SKIP: the broker does not serve {name} (ApiVersions key {key}) yet")
        pytest.skip(f"broker does not serve {name} (ApiVersions key {key}) yet")


def test_admin_describe_configs(bootstrap, topic_name):
    _require(bootstrap, DESCRIBE_CONFIGS, "DescribeConfigs")
    from confluent_kafka.admin import ConfigResource, ResourceType
    create(bootstrap, topic_name, config={"retention.ms": "123456"})
    res = ConfigResource(ResourceType.TOPIC, topic_name)
    configs = admin(bootstrap).describe_configs([res], request_timeout=10)[res].result(timeout=15)
    assert configs["retention.ms"].value == "123456"
    assert not configs["retention.ms"].is_default


def test_admin_incremental_alter_configs(bootstrap, topic_name):
    _require(bootstrap, INCREMENTAL_ALTER_CONFIGS, "IncrementalAlterConfigs")
    _require(bootstrap, DESCRIBE_CONFIGS, "DescribeConfigs")
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
    create(bootstrap, topic_name)
    res = ConfigResource(ResourceType.TOPIC, topic_name,
                         incremental_configs=[ConfigEntry("retention.ms", "7777", incremental_operation=AlterConfigOpType.SET)])
    admin(bootstrap).incremental_alter_configs([res])[res].result(timeout=15)
    res = ConfigResource(ResourceType.TOPIC, topic_name)
    configs = admin(bootstrap).describe_configs([res])[res].result(timeout=15)
    assert configs["retention.ms"].value == "7777"


def test_admin_create_partitions(bootstrap, topic_name):
    _require(bootstrap, CREATE_PARTITIONS, "CreatePartitions")
    from confluent_kafka.admin import NewPartitions
    create(bootstrap, topic_name, partitions=2)
    admin(bootstrap).create_partitions([NewPartitions(topic_name, 5)])[topic_name].result(timeout=15)
    md = admin(bootstrap).list_topics(topic=topic_name, timeout=10)
    assert sorted(md.topics[topic_name].partitions) == [0, 1, 2, 3, 4]


def test_admin_delete_records(bootstrap, topic_name):
    _require(bootstrap, DELETE_RECORDS, "DeleteRecords")
    create(bootstrap, topic_name)
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(10):
        p.produce(topic_name, value=str(i).encode(), partition=0)
    assert p.flush(30) == 0
    tp = TopicPartition(topic_name, 0, 4)
    result = admin(bootstrap).delete_records([tp])[tp].result(timeout=15)
    assert result.low_watermark == 4
    consumed = consume_assigned(bootstrap, topic_name, 1)
    assert [v for _, _, _, v, _ in consumed] == [str(i).encode() for i in range(4, 10)]


def test_admin_elect_leaders(bootstrap, topic_name):
    """ElectLeaders goes to the controller; on one node every leader is the preferred one and no partition lacks one,
    so both election types answer ELECTION_NOT_NEEDED, as Kafka does, and an election over all partitions lists none."""
    from confluent_kafka import ElectionType
    create(bootstrap, topic_name, partitions=2)
    named = [TopicPartition(topic_name, 0), TopicPartition(topic_name, 1), TopicPartition(topic_name, 7)]
    for election in (ElectionType.PREFERRED, ElectionType.UNCLEAN):
        result = admin(bootstrap).elect_leaders(election, named).result(timeout=20)
        codes = {(tp.topic, tp.partition): (err.code() if err is not None else None) for tp, err in result.items()}
        assert codes == {(topic_name, 0): KafkaError.ELECTION_NOT_NEEDED, (topic_name, 1): KafkaError.ELECTION_NOT_NEEDED,
                         (topic_name, 7): KafkaError.UNKNOWN_TOPIC_OR_PART}, election
    everything = admin(bootstrap).elect_leaders(ElectionType.PREFERRED, None).result(timeout=20)
    assert [tp for tp in everything if tp.topic == topic_name] == []


@pytest.fixture(scope="module", autouse=True)
def _drop_admin_clients():
    """Destroys the cached AdminClients before the session broker stops (they would retry connecting)."""
    yield
    _admins.clear()


def test_offsets_watermarks_and_times(bootstrap, topic_name):
    create(bootstrap, topic_name, partitions=2)
    base = 1_700_000_000_000
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})
    for i in range(20):
        p.produce(topic_name, value=f"t{i}".encode(), partition=0, timestamp=base + i * 1000)
        p.flush(10)  # one batch per record, so a lookup by timestamp lands on a record boundary
    assert p.flush(30) == 0
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-offsets", "enable.auto.commit": False})
    try:
        assert c.get_watermark_offsets(TopicPartition(topic_name, 0), timeout=10) == (0, 20)
        assert c.get_watermark_offsets(TopicPartition(topic_name, 1), timeout=10) == (0, 0)
        found = c.offsets_for_times([TopicPartition(topic_name, 0, base + 5500), TopicPartition(topic_name, 1, base)],
                                    timeout=10)
        assert sorted((f.partition, f.offset) for f in found) == [(0, 6), (1, -1)]
        assert c.offsets_for_times([TopicPartition(topic_name, 0, base)], timeout=10)[0].offset == 0
        later = c.offsets_for_times([TopicPartition(topic_name, 0, base + 10_000_000)], timeout=10)
        assert later[0].offset == -1
        # assign() at an offset in the middle; the timestamps come back as produced.
        c.assign([TopicPartition(topic_name, 0, 15)])
        got = []
        while len(got) < 5:
            m = c.poll(10)
            assert m is not None, "no message within 10s"
            assert m.error() is None, m.error()
            got.append((m.offset(), m.value(), m.timestamp()))
        assert got == [(i, f"t{i}".encode(), (ck.TIMESTAMP_CREATE_TIME, base + i * 1000)) for i in range(15, 20)]
    finally:
        c.close()


def test_large_message(bootstrap, topic_name):
    create(bootstrap, topic_name)
    value = os.urandom(900 * 1024)
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "message.max.bytes": 2_000_000})
    p.produce(topic_name, key=b"big", value=value, partition=0)
    p.produce(topic_name, key=b"small", value=b"after", partition=0)
    assert p.flush(30) == 0
    consumed = consume_assigned(bootstrap, topic_name, 1, extra={"fetch.max.bytes": 100_000, "message.max.bytes": 100_000,
                                                                  "max.partition.fetch.bytes": 10_000})
    assert [(o, k, v) for _, o, k, v, _ in consumed] == [(0, b"big", value), (1, b"small", b"after")]


def test_message_too_large_reported_to_producer(bootstrap, topic_name):
    create(bootstrap, topic_name, config={"max.message.bytes": "2000"})
    errors = []
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False})
    p.produce(topic_name, value=b"x" * 5000, partition=0, on_delivery=lambda err, msg: errors.append(err))
    p.flush(30)
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() == KafkaError.MSG_SIZE_TOO_LARGE
