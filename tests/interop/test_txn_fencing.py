"""A zombie producer's transactional offset commit is fenced, and the producer that fenced it is not.

This is what happens to a producer stalled inside send_offsets_to_transaction (test_txn_crash's zombies): its
AddOffsetsToTxn went through, a new producer with the same transactional.id then ran InitProducerId, and the stalled
TxnOffsetCommit arrives only after that. The new producer's InitProducerId aborts the zombie's open transaction with a
bumped epoch (the ABORT marker with that epoch goes into the group's __consumer_offsets partition), so the zombie's
late TxnOffsetCommit with its old epoch is refused with INVALID_PRODUCER_EPOCH by that partition's producer state, as
in Kafka (ProducerAppendInfo.checkProducerEpoch). librdkafka reports that as fatal _FENCED "Producer attempted an
operation with an old epoch". The new producer's own epoch must still be accepted everywhere.

Raw requests, built and parsed with kafka-python's generated protocol classes, so that the two producers' requests
can be interleaved in exactly this order.
"""
import itertools
import time
import uuid

import pytest

pytest.importorskip("kafka.protocol.producer.transaction", reason="kafka-python >= 3 (protocol classes) is not installed")
from kafka.protocol.metadata import FindCoordinatorRequest, FindCoordinatorResponse  # noqa: E402
from kafka.protocol.producer.transaction import (  # noqa: E402
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, EndTxnRequest, EndTxnResponse, InitProducerIdRequest,
    InitProducerIdResponse, TxnOffsetCommitRequest, TxnOffsetCommitResponse)

import kafka_wire  # noqa: E402
from test_durability import create_topic  # noqa: E402
from test_txn_crash import group_offset  # noqa: E402

NONE = 0
COORDINATOR_LOAD_IN_PROGRESS = 14
COORDINATOR_NOT_AVAILABLE = 15
NOT_COORDINATOR = 16
INVALID_PRODUCER_EPOCH = 47
CONCURRENT_TRANSACTIONS = 51
PRODUCER_FENCED = 90
# Answers a client backs off from and retries (the coordinators are created on first use).
RETRIABLE = {COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS}
ATTEMPTS = 100


class Connection:
    """One client connection: a request out, its response back, correlation ids checked."""

    def __init__(self, bootstrap):
        self.sock = kafka_wire.connect(bootstrap)
        self.ids = itertools.count(1)

    def call(self, request, response_class, version):
        cid = next(self.ids)
        request.with_header(correlation_id=cid, client_id="interop-txn-fencing")
        self.sock.sendall(request.encode(version=version, header=True, framed=True))
        response = response_class.decode(kafka_wire.read_response(self.sock), version=version, header=True)
        assert response.header.correlation_id == cid
        return response

    def until_settled(self, make_request, response_class, version, error_of):
        """The first answer that is not a retriable error (bounded: ATTEMPTS tries, 0.1 s apart)."""
        for _ in range(ATTEMPTS):
            response = self.call(make_request(), response_class, version)
            if error_of(response) not in RETRIABLE:
                return response
            time.sleep(0.1)
        raise AssertionError(f"still retriable after {ATTEMPTS} tries: {response}")

    def close(self):
        self.sock.close()


def init_producer_id(conn, tid):
    r = conn.until_settled(
        lambda: InitProducerIdRequest(transactional_id=tid, transaction_timeout_ms=60000, producer_id=-1, producer_epoch=-1),
        InitProducerIdResponse, 4, lambda r: r.error_code)
    assert r.error_code == NONE, f"InitProducerId: error {r.error_code}"
    return r.producer_id, r.producer_epoch


def add_offsets(conn, tid, pid, epoch, group, settle=True):
    def make():
        return AddOffsetsToTxnRequest(transactional_id=tid, producer_id=pid, producer_epoch=epoch, group_id=group)
    if settle:
        return conn.until_settled(make, AddOffsetsToTxnResponse, 3, lambda r: r.error_code).error_code
    return conn.call(make(), AddOffsetsToTxnResponse, 3).error_code


def txn_offset_commit(conn, tid, group, pid, epoch, topic, offset):
    """The error of the one partition committed (topic, 0)."""
    T = TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic
    P = T.TxnOffsetCommitRequestPartition
    r = conn.until_settled(
        lambda: TxnOffsetCommitRequest(
            transactional_id=tid, group_id=group, producer_id=pid, producer_epoch=epoch, generation_id=-1,
            member_id="", group_instance_id=None,
            topics=[T(name=topic, partitions=[P(partition_index=0, committed_offset=offset, committed_leader_epoch=-1,
                                                 committed_metadata="")])]),
        TxnOffsetCommitResponse, 3, lambda r: r.topics[0].partitions[0].error_code)
    return r.topics[0].partitions[0].error_code


def end_txn(conn, tid, pid, epoch, commit):
    return conn.until_settled(
        lambda: EndTxnRequest(transactional_id=tid, producer_id=pid, producer_epoch=epoch, committed=commit),
        EndTxnResponse, 3, lambda r: r.error_code).error_code


def test_late_offset_commit_of_fenced_producer(bootstrap):
    tid = f"fence-{uuid.uuid4().hex[:6]}"
    group = f"fence-group-{uuid.uuid4().hex[:6]}"
    topic = f"fence-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic, 1)
    zombie, fresh = Connection(bootstrap), Connection(bootstrap)
    try:
        # The group's coordinator exists (and __consumer_offsets with it) before any offset is committed.
        fc = zombie.until_settled(lambda: FindCoordinatorRequest(key_type=0, coordinator_keys=[group]),
                                  FindCoordinatorResponse, 4, lambda r: r.coordinators[0].error_code)
        assert fc.coordinators[0].error_code == NONE

        pid, old = init_producer_id(zombie, tid)
        assert add_offsets(zombie, tid, pid, old, group) == NONE
        # Before the fencing: accepted, pending until the transaction ends.
        assert txn_offset_commit(zombie, tid, group, pid, old, topic, 7) == NONE

        # A new instance takes over the id: the zombie's open transaction is aborted with epoch old+1 (answered
        # CONCURRENT_TRANSACTIONS meanwhile), and the retry bumps again, as Kafka's InitProducerId does.
        pid2, new = init_producer_id(fresh, tid)
        assert (pid2, new) == (pid, old + 2), f"InitProducerId gave {(pid2, new)} after {(pid, old)}"

        # The zombie's stalled commit arrives late: refused by the partition's producer state, not accepted.
        assert txn_offset_commit(zombie, tid, group, pid, old, topic, 9) == INVALID_PRODUCER_EPOCH
        assert add_offsets(zombie, tid, pid, old, group, settle=False) == PRODUCER_FENCED
        assert end_txn(zombie, tid, pid, old, commit=True) == PRODUCER_FENCED

        # The producer that fenced it is current everywhere.
        assert add_offsets(fresh, tid, pid, new, group) == NONE
        assert txn_offset_commit(fresh, tid, group, pid, new, topic, 11) == NONE
        assert end_txn(fresh, tid, pid, new, commit=True) == NONE
    finally:
        zombie.close()
        fresh.close()
    # Only the fresh producer's offset is committed: the zombie's pending 7 went with its aborted transaction, and
    # its 9 was never written.
    assert group_offset(bootstrap, group, topic) == 11
