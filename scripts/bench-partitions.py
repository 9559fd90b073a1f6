#!/usr/bin/env python3
"""What a node's partition count costs at rest and across restarts (issue 14 item 5): for each count, a fresh
single node gets topics of 10 partitions (CreateTopics in batches), a few records in some of them, then prints

  - RSS and open descriptors of the serving node (/proc),
  - clean shutdown: SIGTERM until the process exits,
  - start after the clean shutdown: exec until a Metadata answer lists every topic with a leader,
  - start after kill -9 (unclean): the same.

    python3 scripts/bench-partitions.py [--bin .build/release/tributary] [--partitions 1000,10000]

Each run uses its own temporary data directory and free loopback ports and removes both at the end; every wait
is bounded."""
import argparse
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

PER_TOPIC = 10


def free_ports(n):
    """The controller bench's picker (one copy of it), loaded by path since its file name has a hyphen."""
    spec = importlib.util.spec_from_file_location("bench_controller",
                                                  os.path.join(os.path.dirname(__file__), "bench-controller.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.free_ports(n)


class Node:
    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.port, self.cport = free_ports(2)
        self.proc = None

    def start(self):
        log = open(os.path.join(self.work, "server.log"), "ab")
        self.proc = subprocess.Popen(
            [self.binary, "server",
             "--override", f"listeners=PLAINTEXT://localhost:{self.port},CONTROLLER://localhost:{self.cport}",
             "--override", f"advertised.listeners=PLAINTEXT://localhost:{self.port}",
             "--override", f"log.dirs={self.work}/data"], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return time.monotonic()

    def wait_port(self, deadline):
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("localhost", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.01)
        raise TimeoutError("the node never listened")

    def wait_serving(self, topics, deadline):
        """Until a Metadata answer lists every topic, each partition with a leader."""
        self.wait_port(deadline)
        admin = AdminClient({"bootstrap.servers": f"localhost:{self.port}", "reconnect.backoff.ms": 10,
                             "reconnect.backoff.max.ms": 50})
        while time.monotonic() < deadline:
            try:
                md = admin.list_topics(timeout=2)
            except Exception:
                time.sleep(0.01)
                continue
            ok = all(t in md.topics and md.topics[t].error is None and len(md.topics[t].partitions) == PER_TOPIC
                     and all(p.leader >= 0 and p.error is None for p in md.topics[t].partitions.values())
                     for t in topics)
            if ok:
                return time.monotonic()
            time.sleep(0.01)
        raise TimeoutError("the node never listed every topic")

    def resources(self):
        rss = 0
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
        fds = len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        return rss, fds

    def stop(self, sig, timeout=300):
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - t0


def run(binary, partitions, timeout, keep=False):
    work = tempfile.mkdtemp(prefix="bench-partitions-")
    node = Node(binary, work)
    topics = [f"t{i:05d}" for i in range(partitions // PER_TOPIC)]
    try:
        node.start()
        deadline = time.monotonic() + timeout
        node.wait_port(deadline)
        admin = AdminClient({"bootstrap.servers": f"localhost:{node.port}"})
        t0 = time.monotonic()
        for i in range(0, len(topics), 100):
            futures = admin.create_topics([NewTopic(t, num_partitions=PER_TOPIC, replication_factor=1)
                                           for t in topics[i:i + 100]], operation_timeout=120, request_timeout=120)
            for f in futures.values():
                f.result(timeout=150)
        created = time.monotonic() - t0
        # A little data in every tenth topic, so some partitions have segments with records.
        producer = Producer({"bootstrap.servers": f"localhost:{node.port}", "linger.ms": 5})
        for t in topics[::10]:
            for p in range(PER_TOPIC):
                producer.produce(t, b"x" * 100, partition=p)
        if producer.flush(60) != 0:
            raise RuntimeError("records left unsent")
        node.wait_serving(topics, time.monotonic() + timeout)
        time.sleep(1)
        rss, fds = node.resources()
        clean_stop = node.stop(signal.SIGTERM, timeout)
        t0 = node.start()
        clean_start = node.wait_serving(topics, t0 + timeout) - t0
        rss2, fds2 = node.resources()
        node.stop(signal.SIGKILL, timeout)
        t0 = node.start()
        unclean_start = node.wait_serving(topics, t0 + timeout) - t0
        node.stop(signal.SIGTERM, timeout)
        print(f"| {partitions} | {created:.1f} | {rss} | {fds} | {clean_stop:.2f} | {clean_start:.2f} | "
              f"{rss2} | {fds2} | {unclean_start:.2f} |", flush=True)
    finally:
        if node.proc and node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait(timeout=30)
        if keep:
            print(f"kept {work} (cleanly stopped; start it again with the same log.dirs to profile a start)")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(root, ".build", "release", "tributary"))
    p.add_argument("--partitions", default="1000,10000")
    p.add_argument("--timeout", type=float, default=300, help="seconds any one wait may take")
    p.add_argument("--keep", action="store_true", help="keep each run's directory (cleanly stopped) for profiling")
    a = p.parse_args()
    print("| partitions | create s | RSS MB | fds | clean stop s | start after clean s | RSS MB after | fds after "
          "| start after kill -9 s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for n in [int(x) for x in a.partitions.split(",")]:
        run(a.bin, n, a.timeout, a.keep)


if __name__ == "__main__":
    main()
