"""Malformed and refused requests over a raw socket: the broker answers with Kafka's error codes, or closes the
one connection and keeps serving the others."""
import struct
import time

import pytest

import kafka_wire as w

CORRUPT_MESSAGE, UNKNOWN_TOPIC_OR_PARTITION, MESSAGE_TOO_LARGE = 2, 3, 10
INVALID_REQUIRED_ACKS, INVALID_TIMESTAMP, UNSUPPORTED_VERSION = 21, 32, 35


def assert_serving(bootstrap):
    """A fresh connection still gets ApiVersions answered."""
    _, error, ranges = w.parse_api_versions_v0(w.api_versions(bootstrap, version=0))
    assert error == 0 and 18 in ranges


def create_topic(bootstrap, topic, partitions=1, config=None):
    from confluent_kafka.admin import AdminClient, NewTopic
    client = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the result is in
    client.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})]
    )[topic].result(timeout=20)


def produce_error(bootstrap, topic, partition, batch, acks=-1):
    with w.connect(bootstrap) as s:
        s.sendall(w.produce_v3(11, topic, partition, batch, acks=acks))
        correlation_id, topics, _ = w.parse_produce_v3(w.read_response(s))
    assert correlation_id == 11
    assert [t for t, _ in topics] == [topic]
    (result,) = topics[0][1]
    assert result["partition"] == partition
    return result


def test_raw_produce_accepted(bootstrap, topic_name):
    """The encoder itself is right: a well-formed batch is appended."""
    create_topic(bootstrap, topic_name)
    batch = w.record_batch([(b"k", b"v", [("h", b"1")]), (None, b"v2", [])])
    r = produce_error(bootstrap, topic_name, 0, batch)
    assert r["error_code"] == 0 and r["base_offset"] == 0
    r = produce_error(bootstrap, topic_name, 0, batch)
    assert r["error_code"] == 0 and r["base_offset"] == 2


def test_frame_size_prefix_over_limit_default(bootstrap):
    """A size prefix above socket.request.max.bytes (default 100 MiB) closes that connection at once: the broker
    must not wait for (or allocate) the body."""
    with w.connect(bootstrap) as s:
        s.sendall(struct.pack(">i", 200 * 1024 * 1024))
        assert w.closed_by_peer(s), "connection left open after an oversized size prefix"
    with w.connect(bootstrap) as s:
        s.sendall(struct.pack(">i", -5))
        assert w.closed_by_peer(s), "connection left open after a negative size prefix"
    assert_serving(bootstrap)


def test_frame_over_small_limit(broker_factory):
    b = broker_factory(overrides=["socket.request.max.bytes=1024"], name="small-frames")
    other = w.connect(b.bootstrap)  # an idle connection that must survive
    try:
        with w.connect(b.bootstrap) as s:
            payload = w.request_header_v1(3, 1, 1) + w.int32(-1) + b"\0" * 2000
            s.sendall(w.frame(payload)[:1500])
            assert w.closed_by_peer(s)
        # The other connection is unaffected.
        body = w.request_header_v1(18, 0, 5)
        other.sendall(w.frame(body))
        cid, error, _ = w.parse_api_versions_v0(w.read_response(other))
        assert (cid, error) == (5, 0)
    finally:
        other.close()
    assert_serving(b.bootstrap)
    assert "socket.request.max.bytes" in b.log_text()


@pytest.mark.parametrize("payload", [
    pytest.param(w.request_header_v1(3, 1, 1) + w.int32(1_000_000), id="metadata-array-count-beyond-body"),
    pytest.param(w.request_header_v1(0, 3, 1) + b"\x00", id="produce-truncated"),
    pytest.param(w.request_header_v1(19, 2, 1) + b"\xff" * 64, id="create-topics-garbage"),
    pytest.param(b"\x00\x03", id="header-truncated"),
    pytest.param(w.request_header_v1(999, 0, 1), id="unknown-api-key"),
])
def test_unparsable_request_closes_connection(bootstrap, payload):
    other = w.connect(bootstrap)
    try:
        with w.connect(bootstrap) as s:
            s.sendall(w.frame(payload))
            assert w.closed_by_peer(s), "connection left open after an unparsable request"
        other.sendall(w.frame(w.request_header_v1(18, 0, 9)))
        cid, error, _ = w.parse_api_versions_v0(w.read_response(other))
        assert (cid, error) == (9, 0)
    finally:
        other.close()
    assert_serving(bootstrap)


def test_api_versions_unknown_version(bootstrap):
    cid, error, ranges = w.parse_api_versions_v0(w.api_versions(bootstrap, version=99))
    assert cid == 7
    assert error == UNSUPPORTED_VERSION
    assert ranges[18][0] == 0 and ranges[18][1] >= 3
    assert ranges[0] == (0, 13) or ranges[0][1] >= 9
    assert 1 in ranges and 3 in ranges


def test_api_versions_v3_flexible(bootstrap):
    """The flexible ApiVersions (header v0 response, compact arrays) answers with error 0."""
    raw = w.api_versions(bootstrap, version=3)
    cid, error = struct.unpack(">ih", raw[:6])
    assert (cid, error) == (7, 0)


def test_corrupt_crc(bootstrap, topic_name):
    create_topic(bootstrap, topic_name)
    batch = w.record_batch([(b"k", b"v", [])], corrupt_crc=True)
    assert produce_error(bootstrap, topic_name, 0, batch)["error_code"] == CORRUPT_MESSAGE


def test_invalid_required_acks(bootstrap, topic_name):
    create_topic(bootstrap, topic_name)
    batch = w.record_batch([(b"k", b"v", [])])
    assert produce_error(bootstrap, topic_name, 0, batch, acks=5)["error_code"] == INVALID_REQUIRED_ACKS


def test_unknown_partition(bootstrap, topic_name):
    create_topic(bootstrap, topic_name, partitions=2)
    batch = w.record_batch([(b"k", b"v", [])])
    assert produce_error(bootstrap, topic_name, 7, batch)["error_code"] == UNKNOWN_TOPIC_OR_PARTITION


def test_timestamp_too_far_in_future(bootstrap, topic_name):
    create_topic(bootstrap, topic_name, config={"message.timestamp.after.max.ms": "60000"})
    future = int(time.time() * 1000) + 24 * 3600 * 1000
    assert produce_error(bootstrap, topic_name, 0, w.record_batch([(b"k", b"v", [])], base_timestamp=future))["error_code"] == INVALID_TIMESTAMP
    # Within the bound it is accepted.
    assert produce_error(bootstrap, topic_name, 0, w.record_batch([(b"k", b"v", [])]))["error_code"] == 0


def test_batch_larger_than_max_message_bytes(bootstrap, topic_name):
    create_topic(bootstrap, topic_name, config={"max.message.bytes": "1000"})
    big = w.record_batch([(b"k", b"x" * 2000, [])])
    assert produce_error(bootstrap, topic_name, 0, big)["error_code"] == MESSAGE_TOO_LARGE
    small = w.record_batch([(b"k", b"x" * 100, [])])
    assert produce_error(bootstrap, topic_name, 0, small)["error_code"] == 0
