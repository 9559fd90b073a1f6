"""A tiny Kafka wire encoder for raw-socket tests: request headers, Produce v3, record batches v2, CRC-32C."""
import socket
import struct
import time

# --- CRC-32C (Castagnoli), table-driven -------------------------------------------------------------------------

_CRC32C_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value

# --- primitives ---------------------------------------------------------------------------------------------------


def int8(v): return struct.pack(">b", v)
def int16(v): return struct.pack(">h", v)
def int32(v): return struct.pack(">i", v)
def int64(v): return struct.pack(">q", v)


def string(s):
    if s is None:
        return int16(-1)
    b = s.encode()
    return int16(len(b)) + b


def bytes_(b):
    if b is None:
        return int32(-1)
    return int32(len(b)) + b


def array(items):
    return int32(len(items)) + b"".join(items)


def varint(v):
    """Zig-zag varint (Kafka's varint/varlong in records)."""
    z = (v << 1) ^ (v >> 63)
    out = bytearray()
    while True:
        if z & ~0x7F:
            out.append((z & 0x7F) | 0x80)
            z >>= 7
        else:
            out.append(z)
            return bytes(out)


def uvarint(v):
    out = bytearray()
    while True:
        if v & ~0x7F:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        else:
            out.append(v)
            return bytes(out)

# --- record batch v2 ----------------------------------------------------------------------------------------------


def record(offset_delta, timestamp_delta, key, value, headers=()):
    body = int8(0) + varint(timestamp_delta) + varint(offset_delta)
    body += varint(-1) if key is None else varint(len(key)) + key
    body += varint(-1) if value is None else varint(len(value)) + value
    body += varint(len(headers))
    for hk, hv in headers:
        hkb = hk.encode()
        body += varint(len(hkb)) + hkb
        body += varint(-1) if hv is None else varint(len(hv)) + hv
    return varint(len(body)) + body


def record_batch(records, base_timestamp=None, producer_id=-1, producer_epoch=-1, base_sequence=-1,
                 attributes=0, corrupt_crc=False):
    """A magic-2 batch of uncompressed records: [(key, value, headers)]."""
    ts = int(time.time() * 1000) if base_timestamp is None else base_timestamp
    encoded = b"".join(record(i, 0, k, v, h) for i, (k, v, h) in enumerate(records))
    after_crc = (int16(attributes) + int32(len(records) - 1) + int64(ts) + int64(ts) + int64(producer_id)
                 + int16(producer_epoch) + int32(base_sequence) + int32(len(records)) + encoded)
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0xDEADBEEF
    after_length = int32(0) + int8(2) + struct.pack(">I", crc) + after_crc  # partition leader epoch, magic, crc
    return int64(0) + int32(len(after_length)) + after_length

# --- requests -----------------------------------------------------------------------------------------------------


def request_header_v1(api_key, api_version, correlation_id, client_id="interop-raw"):
    return int16(api_key) + int16(api_version) + int32(correlation_id) + string(client_id)


def request_header_v2(api_key, api_version, correlation_id, client_id="interop-raw"):
    return request_header_v1(api_key, api_version, correlation_id, client_id) + uvarint(0)  # no tagged fields


def frame(payload):
    return int32(len(payload)) + payload


def produce_v3(correlation_id, topic, partition, records_bytes, acks=-1, timeout_ms=5000):
    body = string(None) + int16(acks) + int32(timeout_ms)
    body += array([string(topic) + array([int32(partition) + bytes_(records_bytes)])])
    return frame(request_header_v1(0, 3, correlation_id) + body)


def fetch_v4(correlation_id, topic, partition, offset=0, max_wait_ms=0):
    body = int32(-1) + int32(max_wait_ms) + int32(1) + int32(1 << 20) + int8(0)
    body += array([string(topic) + array([int32(partition) + int64(offset) + int32(1 << 20)])])
    return frame(request_header_v1(1, 4, correlation_id) + body)


def metadata_v1(correlation_id, topics):
    body = array([string(t) for t in topics]) if topics is not None else int32(-1)
    return frame(request_header_v1(3, 1, correlation_id) + body)

# --- responses ----------------------------------------------------------------------------------------------------


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        b = self.data[self.pos:self.pos + n]
        if len(b) != n:
            raise ValueError("short response")
        self.pos += n
        return b

    def int16(self): return struct.unpack(">h", self.take(2))[0]
    def int32(self): return struct.unpack(">i", self.take(4))[0]
    def int64(self): return struct.unpack(">q", self.take(8))[0]

    def string(self):
        n = self.int16()
        return None if n < 0 else self.take(n).decode()

    def array(self, item):
        n = self.int32()
        return [] if n < 0 else [item(self) for _ in range(n)]


def read_exactly(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        out += chunk
    return out


def read_response(sock):
    size = struct.unpack(">i", read_exactly(sock, 4))[0]
    return read_exactly(sock, size)


def parse_produce_v3(payload):
    r = Reader(payload)
    correlation_id = r.int32()
    topics = r.array(lambda r: (r.string(), r.array(lambda r: dict(
        partition=r.int32(), error_code=r.int16(), base_offset=r.int64(), log_append_time=r.int64()))))
    throttle = r.int32()
    return correlation_id, topics, throttle


def parse_fetch_v4(payload):
    """(correlation id, [(topic, [dict(partition, error_code, high_watermark, records)])])."""
    r = Reader(payload)
    correlation_id = r.int32()
    r.int32()  # throttle

    def partition(r):
        d = dict(partition=r.int32(), error_code=r.int16(), high_watermark=r.int64(), last_stable_offset=r.int64())
        r.array(lambda r: (r.int64(), r.int64()))  # aborted transactions
        n = r.int32()
        d["records"] = b"" if n < 0 else r.take(n)
        return d
    return correlation_id, r.array(lambda r: (r.string(), r.array(partition)))


def parse_api_versions_v0(payload):
    r = Reader(payload)
    correlation_id = r.int32()
    error_code = r.int16()
    keys = r.array(lambda r: (r.int16(), r.int16(), r.int16()))
    return correlation_id, error_code, {k: (lo, hi) for k, lo, hi in keys}


def connect(bootstrap, timeout=10.0):
    host, port = bootstrap.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def closed_by_peer(sock, timeout=10.0):
    """True when the broker closes the connection (EOF or reset) before `timeout`; False if it stays open."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def api_versions(bootstrap, version=3):
    """Sends ApiVersions at `version` and returns the parsed v0-shaped prefix (correlation id, error, ranges)."""
    with connect(bootstrap) as s:
        header = request_header_v2(18, version, 7) if version >= 3 else request_header_v1(18, version, 7)
        body = b""
        if version >= 3:
            body = uvarint(len(b"raw") + 1) + b"raw" + uvarint(len(b"1") + 1) + b"1" + uvarint(0)
        s.sendall(frame(header + body))
        return read_response(s)


def free_ports(n):
    """`n` distinct loopback ports that were free a moment ago."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def describe_quorum_leader(port, timeout=3.0):
    """The raft leader that DescribeQuorum v0 on the controller listener at localhost:`port` names, or None: only
    the leader answers it (the others give NOT_LEADER_OR_FOLLOWER), and a node that is down gives None."""
    name = b"__cluster_metadata"
    body = (uvarint(2) + uvarint(len(name) + 1) + name + uvarint(2) + int32(0) + uvarint(0)
            + uvarint(0) + uvarint(0))
    try:
        with socket.create_connection(("localhost", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(frame(request_header_v2(55, 0, 7) + body))
            payload = read_response(s)
        # Response header v1 (correlation id, tagged fields); ErrorCode; Topics[TopicName, Partitions[
        # PartitionIndex, ErrorCode, LeaderId, ...]], one of each.
        if struct.unpack_from(">h", payload, 5)[0] != 0:
            return None
        pos = 8 + payload[8]  # past the topic name's compact length and bytes
        _, error, leader = struct.unpack_from(">ihi", payload, pos + 1)
        return leader if error == 0 and leader >= 0 else None
    except (OSError, struct.error, IndexError):
        return None
