"""What a newcomer meets first, against the real binary: one process per data directory (Kafka's .lock), a bind
failure that names the listener, --version, storage format's messages and exit codes, and the startup log."""
import os
import re
import signal
import socket
import struct
import subprocess
import time

from conftest import CLEAN_SHUTDOWN_LINE, BrokerProcess, free_port_pair, tributary_bin


def run_tool(*args, cwd=None, timeout=30):
    return subprocess.run([tributary_bin(), *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_second_process_on_a_running_nodes_directory_refuses(broker_factory, tmp_path):
    first = broker_factory(name="owner")
    second = BrokerProcess(first.log_dir, name="intruder")
    try:
        second.start(timeout=10)
        started = True
    except RuntimeError as e:
        started = False
        message = str(e)
    finally:
        second.kill()
    assert not started, "a second tributary started on a directory another process holds"
    assert "Failed to acquire lock on file .lock in " + first.log_dir in message, message
    assert "refusing to start" in message
    # The owner is untouched and still serves.
    with socket.create_connection(("localhost", first.port), timeout=5):
        pass
    # storage format against the running node's directory refuses too, with status 1.
    conf = tmp_path / "server.properties"
    conf.write_text(f"log.dirs={first.log_dir}\n")
    cluster_id = run_tool("storage", "random-uuid").stdout.strip()
    r = run_tool("storage", "format", "-t", cluster_id, "-c", str(conf), "--ignore-formatted")
    assert r.returncode == 1, r
    assert "Failed to acquire lock on file .lock in " + first.log_dir in r.stderr
    assert "USAGE: tributary storage format" in r.stderr


def test_lock_is_held_until_shutdown_completes_then_released(broker_factory):
    """The lock outlives the listeners: it is released only after the logs are closed, so a node restarted on
    the same directory starts once the previous one has exited (and never while it is still writing)."""
    b = broker_factory(name="relock")
    b.stop_cleanly()
    b.start()
    assert b.alive()


def test_sigterm_during_start_up_is_a_clean_stop(tmp_path):
    """docker stop, or a supervisor, may send SIGTERM while the node is still starting (its listener may already
    answer while start-up finishes). That is a clean stop with exit 0, never death by signal (-15). Each round
    signals at a different point: as soon as the first log line is out, a few milliseconds later, once the port
    answers."""
    for round_, delay in enumerate([0.0, 0.005, 0.02, None]):
        b = BrokerProcess(str(tmp_path / f"data-{round_}"), name=f"early-term-{round_}")
        log_path = str(tmp_path / f"early-term-{round_}.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(b.command(), stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp_path))
        try:
            deadline = time.monotonic() + 10
            def text():
                with open(log_path, errors="replace") as f:
                    return f.read()
            if delay is None:
                while time.monotonic() < deadline:
                    try:
                        socket.create_connection(("localhost", b.port), timeout=0.5).close()
                        break
                    except OSError:
                        time.sleep(0.002)
            else:
                while "Tributary " not in text() and time.monotonic() < deadline and proc.poll() is None:
                    time.sleep(0.001)
                time.sleep(delay)
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert rc == 0, f"round {round_} (delay {delay}): exit status {rc} after SIGTERM:\n{text()[-3000:]}"
        assert CLEAN_SHUTDOWN_LINE in text(), f"round {round_}: no '{CLEAN_SHUTDOWN_LINE}':\n{text()[-3000:]}"


def test_bind_failure_names_the_listener(broker_factory):
    first = broker_factory(name="holder")
    other = BrokerProcess(first.log_dir + "-other", name="clash")
    other.port = first.port  # the PLAINTEXT port is taken
    # start() would see the holder's port answer: wait for the process itself to give up.
    r = subprocess.run(other.command(), capture_output=True, text=True, timeout=30)
    text = r.stdout + r.stderr
    assert r.returncode == 1, text
    assert f"listener PLAINTEXT://localhost:{first.port}: address already in use" in text, text
    assert "refusing to start" in text


def test_version():
    for args in (["--version"], ["server", "--version"]):
        r = run_tool(*args)
        assert r.returncode == 0, r
        assert re.fullmatch(r"\d+\.\d+\.\d+ \(.*\)\n", r.stdout), r.stdout


def test_storage_format_messages_and_exit_codes(tmp_path):
    cluster_id = run_tool("storage", "random-uuid").stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
    r = run_tool("storage", "format", "-t", cluster_id, cwd=tmp_path)
    assert r.returncode == 0, r
    assert r.stdout == "Formatting ./data (no --config: the single-node default, node.id 1) with metadata.version 3.7-IV4.\n"
    assert (tmp_path / "data" / "meta.properties").exists()
    r = run_tool("storage", "format", "-t", cluster_id, cwd=tmp_path)
    assert r.returncode == 1 and "already formatted" in r.stderr and "USAGE: tributary storage format" in r.stderr, r
    r = run_tool("storage", "format", "-t", cluster_id, "--ignore-formatted", cwd=tmp_path)
    assert r.returncode == 0, r
    r = run_tool("storage", "format", "-t", "not-a-cluster-id", cwd=tmp_path)
    assert r.returncode == 1 and "Invalid cluster id" in r.stderr, r
    r = run_tool("storage", "format", cwd=tmp_path)  # a usage error: same status as Kafka's tool
    assert r.returncode == 1 and "--cluster-id" in r.stderr, r


def test_startup_log_and_rate_limited_bad_connections(broker_factory):
    b = broker_factory(name="chatty")
    for i in range(40):
        with socket.create_connection(("localhost", b.port), timeout=5) as s:
            s.sendall([struct.pack(">i", -1), struct.pack(">i", 0), struct.pack(">ihhih", 10, 77, 0, 1, -1)][i % 3])
            try:
                s.recv(16)
            except OSError:
                pass
    time.sleep(0.5)
    b.stop_cleanly()
    text = b.log_text()
    assert re.search(r"Tributary \d+\.\d+\.\d+ .*node 1", text), text[:2000]
    assert "configuration: defaults <- overrides listeners, advertised.listeners, log.dirs" in text, text[:2000]
    assert f"listening on PLAINTEXT://localhost:{b.port}" in text
    bad = [l for l in text.splitlines() if "bad connection" in l or "closing connection from" in l]
    # One full line (and at most a summary at shutdown-time flushes), not forty.
    assert 1 <= len(bad) <= 3, "\n".join(bad)
    assert "-1 bytes" not in text
    assert "invalid frame size -1" in text or "invalid frame size" in text


def test_topic_lifecycle_logged(broker_factory):
    from confluent_kafka.admin import AdminClient, NewTopic
    b = broker_factory(name="topics")
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic("logged-topic", num_partitions=3, replication_factor=1,
                                  config={"cleanup.policy": "compact"})])["logged-topic"].result(timeout=20)
    bad = admin.create_topics([NewTopic("bad-segment", num_partitions=1, replication_factor=1,
                                        config={"segment.bytes": "65536"})])["bad-segment"]
    try:
        bad.result(timeout=20)
        raise AssertionError("segment.bytes=65536 accepted")
    except Exception as e:  # KafkaException(INVALID_CONFIG)
        msg = str(e)
    assert "Invalid value 65536 for configuration segment.bytes: must be at least 1048576 (in the request's topic configs)" in msg, msg
    assert msg.count("Invalid value") == 1, msg
    admin.delete_topics(["logged-topic"])["logged-topic"].result(timeout=20)
    time.sleep(0.5)
    b.stop_cleanly()
    text = b.log_text()
    assert "created topic logged-topic with 3 partitions" in text
    # The log cleaner exists: a compacted topic is no longer warned about.
    assert "log compaction is not implemented" not in text
    assert "deleted topic logged-topic" in text


def run_server(cwd, *overrides):
    """`tributary server` with these overrides, run to its exit (a refused start exits at once)."""
    args = ["server"]
    for o in overrides:
        args += ["--override", o]
    return run_tool(*args, cwd=cwd)


def test_unsupported_quorum_topologies_refuse_to_start(tmp_path):
    """A dynamic quorum bootstrapped from other nodes (KIP-853) would start as a cluster of one: refused before the
    node touches its directories, naming the key. (Static quorums start: tests/interop/test_quorum_nodes.py.)"""
    port, controller_port = free_port_pair()
    data = tmp_path / "data"
    common = ["controller.listener.names=CONTROLLER", f"log.dirs={data}"]
    r = run_server(tmp_path, "process.roles=broker,controller", "node.id=2", *common,
                   f"listeners=PLAINTEXT://localhost:{port},CONTROLLER://localhost:{controller_port}",
                   "controller.quorum.bootstrap.servers=other-host:9093")
    assert r.returncode == 1, r
    assert "refusing to start" in r.stderr, r.stderr
    assert not data.exists(), "the refused node formatted its log directory"
    assert "dynamic quorums (KIP-853) are not supported yet" in r.stderr, r.stderr
