"""Interop test fixtures: the real `tributary` binary, started on free ports with a fresh log directory.

TRIBUTARY_BIN names the binary (default: .build/debug/tributary under the repository root).
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLEAN_SHUTDOWN_LINE = "shut down cleanly"
CLEAN_SHUTDOWN_MARKER = ".kafka_cleanshutdown"


def tributary_bin():
    path = os.environ.get("TRIBUTARY_BIN", os.path.join(REPO_ROOT, ".build", "debug", "tributary"))
    if not os.path.isabs(path):
        path = os.path.join(REPO_ROOT, path)
    return path


def free_port_pair():
    """Two distinct ports that were free a moment ago (the broker and controller listeners)."""
    socks = []
    try:
        for _ in range(2):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return socks[0].getsockname()[1], socks[1].getsockname()[1]
    finally:
        for s in socks:
            s.close()


class BrokerProcess:
    """One `tributary server` process; restartable on the same log directory and ports."""

    def __init__(self, log_dir, overrides=(), name="broker"):
        self.log_dir = log_dir
        self.host = "localhost"  # the address clients (and start's readiness check) connect to
        self.port, self.controller_port = free_port_pair()
        self.overrides = list(overrides)
        self.name = name
        self.proc = None
        self.starts = 0
        self.log_paths = []

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"

    @property
    def log_path(self):
        return self.log_paths[-1]

    def command(self):
        cmd = [
            tributary_bin(), "server",
            "--override", f"listeners=PLAINTEXT://localhost:{self.port},CONTROLLER://localhost:{self.controller_port}",
            "--override", f"advertised.listeners=PLAINTEXT://localhost:{self.port}",
            "--override", f"log.dirs={self.log_dir}",
        ]
        for o in self.overrides:
            cmd += ["--override", o]
        return cmd

    def start(self, timeout=10.0):
        """Starts the process and waits until its client port accepts (see `launch` and `wait_ready`)."""
        return self.launch().wait_ready(timeout)

    def launch(self):
        """Starts the process without waiting. A broker of a multi-node quorum opens its client port only once
        it has registered with the active controller and caught up (as Kafka's brokers do), so a cluster's nodes
        are launched together and then waited for: `start_all`."""
        assert self.proc is None, "already running"
        binary = tributary_bin()
        if not os.access(binary, os.X_OK):
            pytest.fail(f"tributary binary not found at {binary} (set TRIBUTARY_BIN)")
        self.starts += 1
        log_path = os.path.join(os.path.dirname(self.log_dir), f"{self.name}-{self.starts}.log")
        self.log_paths.append(log_path)
        log = open(log_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=os.path.dirname(self.log_dir))
        log.close()
        self.launched_at = time.monotonic()
        return self

    def wait_ready(self, timeout=10.0):
        """Waits until the launched process accepts connections on its port; kills it and raises otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"broker exited with {self.proc.returncode} during start-up:\n{self.log_text()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"broker did not accept connections on {self.port} within {timeout}s:\n{self.log_text()}")

    def log_text(self, index=-1):
        try:
            with open(self.log_paths[index], "r", errors="replace") as f:
                return f.read()
        except (IndexError, OSError):
            return ""

    def all_logs(self):
        return "\n".join(self.log_text(i) for i in range(len(self.log_paths)))

    def stop(self, timeout=20.0):
        """SIGTERM; returns the exit status."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            raise AssertionError(f"broker did not exit within {timeout}s of SIGTERM:\n{self.log_text()[-4000:]}")
        self.proc = None
        return rc

    def stop_cleanly(self):
        """SIGTERM and check the exit status and the clean-shutdown log line."""
        rc = self.stop()
        text = self.log_text()
        assert rc == 0, f"broker exit status {rc} after SIGTERM:\n{text[-4000:]}"
        assert CLEAN_SHUTDOWN_LINE in text, f"no '{CLEAN_SHUTDOWN_LINE}' in the broker log:\n{text[-4000:]}"

    def kill(self):
        """SIGKILL (a crash)."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def restart(self, hard=False):
        """Restart on the same directory and ports: SIGKILL when `hard`, else a checked clean SIGTERM."""
        if hard:
            self.kill()
        else:
            self.stop_cleanly()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def errors_in_log(self):
        """Lines showing the broker failed to encode a response or a handler failed."""
        out = []
        for line in self.all_logs().splitlines():
            fields = line.split(" ", 2)
            if "cannot encode" in line or "handler failed" in line or (len(fields) > 1 and fields[1] in ("error", "critical")):
                out.append(line)
        return out



def start_all(nodes, timeout=30.0):
    """Launches every node, then waits for each: the nodes of a quorum need each other before their brokers
    serve."""
    nodes = list(nodes)
    for n in nodes:
        if n.proc is None:
            n.launch()
    for n in nodes:
        n.wait_ready(timeout)
    return nodes

def _cleanup(request, base, broker):
    """Removes a broker's temp dir, or keeps it (and says where) when a test failed, for its log."""
    if request.session.testsfailed:
        print(f"\n[interop] kept {base} (broker logs: {', '.join(broker.log_paths)})")
    else:
        shutil.rmtree(base, ignore_errors=True)


def shared_broker(request, name, overrides=()):
    """Generator body of a fixture broker shared by many tests: started fresh, stopped cleanly at the end, and
    failing the run if it logged a response or handler failure."""
    base = tempfile.mkdtemp(prefix=f"tributary-interop-{name}-")
    b = BrokerProcess(os.path.join(base, "data"), overrides=overrides, name=name)
    b.start()
    try:
        yield b
    finally:
        try:
            if b.alive():
                b.stop_cleanly()
            encode_errors = b.errors_in_log()
            assert not encode_errors, "broker logged response/handler failures:\n" + "\n".join(encode_errors)
        finally:
            _cleanup(request, base, b)


@pytest.fixture(scope="session")
def broker_process(request):
    yield from shared_broker(request, "session")


@pytest.fixture(scope="session")
def bootstrap(broker_process):
    """The session broker's bootstrap address."""
    assert broker_process.alive(), "session broker is not running:\n" + broker_process.log_text()[-4000:]
    return broker_process.bootstrap


@pytest.fixture
def broker_factory(request):
    """Starts extra brokers (own temp dirs, own ports) for tests that kill, restart or reconfigure them."""
    made = []

    def make(overrides=(), name="extra"):
        base = tempfile.mkdtemp(prefix="tributary-interop-")
        b = BrokerProcess(os.path.join(base, "data"), overrides=overrides, name=name)
        made.append((base, b))
        return b.start()

    yield make
    for base, b in made:
        try:
            if b.alive():
                b.stop_cleanly()
        finally:
            _cleanup(request, base, b)


_counter = [0]


@pytest.fixture
def topic_name(request):
    """A fresh topic name per test."""
    _counter[0] += 1
    safe = "".join(c if c.isalnum() else "-" for c in request.node.name)[:80]
    return f"t{_counter[0]}-{safe}".strip("-")
