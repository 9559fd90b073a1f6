"""Shared checks for the client tests."""


def make_messages(n, keys=97):
    """n keyed messages with headers: (key, value, headers) with value unique per message."""
    return [(f"key-{i % keys}".encode(), f"value-{i:06d}-{'p' * (i % 40)}".encode(),
             [("idx", str(i).encode()), ("src", b"interop")]) for i in range(n)]


def index_of(value):
    return int(value.split(b"-")[1])


def check_partitioned(messages, consumed):
    """`consumed`: [(partition, offset, key, value, headers)] in the order each partition was read.

    Exact content, per-partition producer order, each key on one partition, offsets contiguous from 0."""
    assert len(consumed) == len(messages), f"consumed {len(consumed)} of {len(messages)}"
    expected = {v: (k, h) for k, v, h in messages}
    seen = set()
    key_partition = {}
    by_partition = {}
    for partition, offset, key, value, headers in consumed:
        assert value in expected, f"unexpected value {value!r}"
        assert value not in seen, f"duplicate {value!r}"
        seen.add(value)
        ek, eh = expected[value]
        assert key == ek, (value, key, ek)
        assert [(hk, bytes(hv)) for hk, hv in headers] == eh, (value, headers)
        assert key_partition.setdefault(key, partition) == partition, f"key {key!r} on partitions {key_partition[key]} and {partition}"
        by_partition.setdefault(partition, []).append((offset, index_of(value)))
    for partition, rows in by_partition.items():
        offsets = [o for o, _ in rows]
        assert offsets == list(range(len(rows))), f"partition {partition}: offsets not contiguous from 0"
        order = [i for _, i in rows]
        assert order == sorted(order), f"partition {partition}: not in producer order"
    return by_partition
