"""Kafka's quickstart, verbatim, through bin/kafka-*.sh (the tributary tools on KafkaClient), and KafkaClient's
partitioner against confluent-kafka's murmur2_random: keys produced by either land on the same partition, and
records produced by KafkaClient (every codec) are read by confluent-kafka and by the console consumer, and librdkafka's
records by KafkaClient's consumer."""
import os
import subprocess

import pytest

from conftest import REPO_ROOT, tributary_bin

BIN = os.path.join(REPO_ROOT, "bin")


def tool(script, *args, input=None, timeout=60, check=True):
    env = dict(os.environ, TRIBUTARY_BIN=tributary_bin())
    proc = subprocess.run([os.path.join(BIN, script), *args], input=input, capture_output=True, timeout=timeout, env=env)
    if check:
        assert proc.returncode == 0, (f"{script} {' '.join(args)} exited {proc.returncode}:\n"
                                      f"stdout:\n{proc.stdout.decode(errors='replace')}\nstderr:\n{proc.stderr.decode(errors='replace')}")
    return proc


@pytest.fixture
def quickstart_broker(broker_factory):
    """A broker of its own: the quickstart's topic name is fixed and --list must show only what the test made."""
    return broker_factory(name="quickstart")


def test_quickstart_verbatim(quickstart_broker):
    bs = f"localhost:{quickstart_broker.port}"
    out = tool("kafka-topics.sh", "--create", "--topic", "quickstart-events", "--bootstrap-server", bs).stdout.decode()
    assert out == "Created topic quickstart-events.\n"

    again = tool("kafka-topics.sh", "--create", "--topic", "quickstart-events", "--bootstrap-server", bs, check=False)
    assert again.returncode == 1
    assert again.stdout.decode() == "Error while executing topic command : Topic 'quickstart-events' already exists.\n"
    quiet = tool("kafka-topics.sh", "--create", "--if-not-exists", "--topic", "quickstart-events", "--bootstrap-server", bs)
    assert quiet.stdout == b""

    assert tool("kafka-topics.sh", "--list", "--bootstrap-server", bs).stdout.decode() == "quickstart-events\n"

    described = tool("kafka-topics.sh", "--describe", "--topic", "quickstart-events", "--bootstrap-server", bs).stdout.decode()
    lines = described.splitlines()
    assert len(lines) == 2, described
    fields = lines[0].split("\t")
    assert fields[0] == "Topic: quickstart-events"
    assert fields[1].startswith("TopicId: ") and len(fields[1]) == len("TopicId: ") + 22, fields
    assert fields[2:4] == ["PartitionCount: 1", "ReplicationFactor: 1"], fields
    assert fields[4].startswith("Configs: "), fields
    assert lines[1] == "\tTopic: quickstart-events\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1"

    events = ["This is my first event", "This is my second event"]
    tool("kafka-console-producer.sh", "--topic", "quickstart-events", "--bootstrap-server", bs,
         input=("\n".join(events) + "\n").encode())
    consumed = tool("kafka-console-consumer.sh", "--topic", "quickstart-events", "--from-beginning",
                    "--bootstrap-server", bs, "--max-messages", "2")
    assert consumed.stdout.decode().splitlines() == events
    assert "Processed a total of 2 messages" in consumed.stderr.decode()

    # The console producer is idempotent by default (acks=-1): its batch carries a producer id and sequence 0.
    segment = os.path.join(quickstart_broker.log_dir, "quickstart-events-0", "00000000000000000000.log")
    dump = subprocess.run([tributary_bin(), "dump-log", "--files", segment], capture_output=True, timeout=30)
    batches = [l for l in dump.stdout.decode().splitlines() if l.startswith("baseOffset:")]
    assert len(batches) == 1, dump.stdout.decode()
    fields = dict(zip(batches[0].split()[0::2], batches[0].split()[1::2]))
    assert fields["baseSequence:"] == "0" and fields["count:"] == "2", batches[0]
    assert int(fields["producerId:"]) >= 0 and int(fields["producerEpoch:"]) >= 0, batches[0]

    missing = tool("kafka-topics.sh", "--describe", "--topic", "no-such-topic", "--bootstrap-server", bs, check=False)
    assert missing.returncode == 1
    assert missing.stderr.decode().strip() == "Topic 'no-such-topic' does not exist as expected"
    assert tool("kafka-topics.sh", "--describe", "--if-exists", "--topic", "no-such-topic", "--bootstrap-server", bs).stdout == b""

    tool("kafka-topics.sh", "--delete", "--topic", "quickstart-events", "--bootstrap-server", bs)
    assert tool("kafka-topics.sh", "--list", "--bootstrap-server", bs).stdout.decode() == "\n"


def test_describe_partitions_and_configs(bootstrap, topic_name):
    tool("kafka-topics.sh", "--create", "--topic", topic_name, "--partitions", "3", "--replication-factor", "1",
         "--config", "cleanup.policy=compact", "--config", "retention.ms=123456", "--bootstrap-server", bootstrap)
    lines = tool("kafka-topics.sh", "--describe", "--topic", topic_name, "--bootstrap-server", bootstrap).stdout.decode().splitlines()
    assert len(lines) == 4, lines
    head = lines[0].split("\t")
    assert head[2:4] == ["PartitionCount: 3", "ReplicationFactor: 1"], head
    configs = head[4][len("Configs: "):].split(",")
    assert "cleanup.policy=compact" in configs and "retention.ms=123456" in configs, head
    assert [l.split("\t")[2] for l in lines[1:]] == ["Partition: 0", "Partition: 1", "Partition: 2"]
    # One broker: nothing is under-replicated, so the filtered describe prints nothing.
    urp = tool("kafka-topics.sh", "--describe", "--under-replicated-partitions", "--topic", topic_name,
               "--bootstrap-server", bootstrap).stdout
    assert urp == b""


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_keys_land_where_murmur2_random_puts_them(bootstrap, topic_name, codec):
    from confluent_kafka import Consumer, Producer, TopicPartition

    partitions = 6
    for t in (topic_name, f"{topic_name}-rdkafka"):
        tool("kafka-topics.sh", "--create", "--topic", t, "--partitions", str(partitions), "--bootstrap-server", bootstrap)
    keys = [f"user-{i}" for i in range(40)] + ["21", "a-little-bit-long-string"]
    lines = "".join(f"{k}\tvalue-of-{k}\n" for k in keys)
    tool("kafka-console-producer.sh", "--topic", topic_name, "--bootstrap-server", bootstrap,
         "--property", "parse.key=true", "--producer-property", f"compression.type={codec}", input=lines.encode())

    # Where confluent-kafka (librdkafka) with the Java-compatible partitioner puts each key.
    expected = {}
    p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})

    def record(err, msg):
        assert err is None, err
        expected[msg.key().decode()] = msg.partition()

    for k in keys:
        p.produce(f"{topic_name}-rdkafka", key=k.encode(), value=b"x", on_delivery=record)
    p.flush(30)
    assert len(expected) == len(keys)

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{topic_name}", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.assign([TopicPartition(topic_name, i, 0) for i in range(partitions)])
    landed = {}
    try:
        while len(landed) < len(keys):
            msg = c.poll(10)
            assert msg is not None, f"only {len(landed)} of {len(keys)} records arrived"
            assert msg.error() is None, msg.error()
            landed[msg.key().decode()] = (msg.partition(), msg.value().decode())
    finally:
        c.close()
    for k in keys:
        assert landed[k] == (expected[k], f"value-of-{k}"), (k, landed[k], expected[k])
    assert len({part for part, _ in landed.values()}) > 1

    out = tool("kafka-console-consumer.sh", "--topic", topic_name, "--from-beginning", "--bootstrap-server", bootstrap,
               "--max-messages", str(len(keys)), "--property", "print.key=true", "--property", "print.partition=true")
    printed = {}
    for line in out.stdout.decode().splitlines():
        part, key, value = line.split("\t")
        printed[key] = (int(part[len("Partition:"):]), value)
    assert printed == landed

    # The reverse: what librdkafka produced, read by KafkaClient's consumer, on the partitions librdkafka chose.
    out = tool("kafka-console-consumer.sh", "--topic", f"{topic_name}-rdkafka", "--from-beginning", "--bootstrap-server",
               bootstrap, "--max-messages", str(len(keys)), "--property", "print.key=true", "--property", "print.partition=true")
    read_back = {}
    for line in out.stdout.decode().splitlines():
        part, key, value = line.split("\t")
        read_back[key] = int(part[len("Partition:"):])
    assert read_back == expected


@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_console_producer_acks(bootstrap, topic_name, acks):
    lines = [f"acks {acks} line {i}" for i in range(50)]
    tool("kafka-console-producer.sh", "--topic", topic_name, "--bootstrap-server", bootstrap,
         "--producer-property", f"acks={acks}", "--producer-property", "linger.ms=5", "--producer-property", "batch.size=512",
         input=("\n".join(lines) + "\n").encode())
    out = tool("kafka-console-consumer.sh", "--topic", topic_name, "--from-beginning", "--bootstrap-server", bootstrap,
               "--max-messages", str(len(lines)), "--property", "print.offset=true")
    assert out.stdout.decode().splitlines() == [f"Offset:{i}\t{l}" for i, l in enumerate(lines)]


def test_console_headers_round_trip(bootstrap, topic_name):
    from confluent_kafka import Consumer, TopicPartition

    lines = ["origin:cli,trace:42\tk1\tfirst", "origin:cli\tk2\tsecond"]
    tool("kafka-console-producer.sh", "--topic", topic_name, "--bootstrap-server", bootstrap,
         "--property", "parse.headers=true", "--property", "parse.key=true", input=("\n".join(lines) + "\n").encode())
    out = tool("kafka-console-consumer.sh", "--topic", topic_name, "--from-beginning", "--bootstrap-server", bootstrap,
               "--max-messages", "2", "--property", "print.headers=true", "--property", "print.key=true")
    assert out.stdout.decode().splitlines() == lines
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{topic_name}", "enable.auto.commit": False})
    c.assign([TopicPartition(topic_name, 0, 0)])
    try:
        msg = c.poll(10)
        assert msg is not None and msg.error() is None
        assert msg.headers() == [("origin", b"cli"), ("trace", b"42")] and msg.key() == b"k1" and msg.value() == b"first"
    finally:
        c.close()
