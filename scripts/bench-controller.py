#!/usr/bin/env python3
"""Controller commit figures against the real binary: the latency of a one-partition CreateTopics while the node
already hosts many partitions (the broker side's work per commit), and many CreateTopics sent at once (how the
controller shares appends between them).

    python3 scripts/bench-controller.py [--bin .build/release/tributary] [--partitions 4000] [--sequential 40]
                                        [--concurrent 64]

Starts its own node on free loopback ports with a fresh data directory, prints figures, stops the node."""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time

from confluent_kafka.admin import AdminClient, NewTopic


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def create(admin, name, partitions):
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                        operation_timeout=300, request_timeout=300)[name].result(timeout=330)


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(root, ".build", "debug", "tributary"))
    p.add_argument("--partitions", type=int, default=4000)
    p.add_argument("--sequential", type=int, default=40)
    p.add_argument("--concurrent", type=int, default=64)
    a = p.parse_args()
    port, cport = free_ports(2)
    work = tempfile.mkdtemp(prefix="bench-controller-")
    log = open(os.path.join(work, "server.log"), "wb")
    proc = subprocess.Popen([a.bin, "server",
                             "--override", f"listeners=PLAINTEXT://localhost:{port},CONTROLLER://localhost:{cport}",
                             "--override", f"advertised.listeners=PLAINTEXT://localhost:{port}",
                             "--override", f"log.dirs={work}/data"], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                socket.create_connection(("localhost", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        admin = AdminClient({"bootstrap.servers": f"localhost:{port}"})
        t0 = time.monotonic()
        create(admin, "big", a.partitions)
        print(f"create 'big' with {a.partitions} partitions: {(time.monotonic() - t0) * 1000:.0f} ms")
        times = []
        for i in range(a.sequential):
            t0 = time.monotonic()
            create(admin, f"seq-{i}", 1)
            times.append((time.monotonic() - t0) * 1000)
        times.sort()
        print(f"one-partition CreateTopics beside {a.partitions} partitions, {a.sequential} in a row: median "
              f"{statistics.median(times):.1f} ms, p90 {times[int(len(times) * 0.9) - 1]:.1f} ms")
        clients = [AdminClient({"bootstrap.servers": f"localhost:{port}"}) for _ in range(a.concurrent)]
        for c in clients:
            c.list_topics(timeout=20)  # connected before the clock starts
        barrier = threading.Barrier(a.concurrent + 1)
        errors = []

        def one(i):
            barrier.wait()
            try:
                create(clients[i], f"conc-{i}", 1)
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(a.concurrent)]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.monotonic()
        for t in threads:
            t.join()
        total = (time.monotonic() - t0) * 1000
        print(f"{a.concurrent} one-partition CreateTopics at once from {a.concurrent} clients: {total:.0f} ms in all"
              f"{'; errors: ' + str(errors[:3]) if errors else ''}")
    finally:
        proc.terminate()
        proc.wait(timeout=120)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
