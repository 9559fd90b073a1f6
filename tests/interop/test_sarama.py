"""sarama (Go, Debian's golang-github-shopify-sarama-dev 1.22): SyncProducer with keys and headers, then a
partition consumer without a group. The Go program (sarama/main.go) does the checking."""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GOPATH = "/usr/share/gocode"
SARAMA_SRC = os.path.join(GOPATH, "src", "github.com", "Shopify", "sarama")


@pytest.fixture(scope="module")
def sarama_binary(tmp_path_factory):
    if shutil.which("go") is None:
        pytest.skip("go is not installed (apt: golang-go)")
    if not os.path.isdir(SARAMA_SRC):
        pytest.skip(f"sarama sources not found at {SARAMA_SRC} (apt: golang-github-shopify-sarama-dev)")
    out = str(tmp_path_factory.mktemp("sarama") / "sarama-interop")
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOFLAGS="")
    env.setdefault("GOCACHE", os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "go-build"))
    proc = subprocess.run(["go", "build", "-o", out, "."], cwd=os.path.join(HERE, "sarama"), env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"go build failed:\n{proc.stderr}"
    return out


def run(binary, *args):
    proc = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"sarama-interop failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_sarama_auto_created_topic(sarama_binary, bootstrap, topic_name):
    assert "ok: 1000 messages" in run(sarama_binary, "-brokers", bootstrap, "-topic", topic_name, "-n", "1000")


def test_sarama_partitioned_topic(sarama_binary, bootstrap, topic_name):
    from confluent_kafka.admin import AdminClient, NewTopic
    client = AdminClient({"bootstrap.servers": bootstrap})
    client.create_topics([NewTopic(topic_name, num_partitions=4, replication_factor=1)])[topic_name].result(timeout=20)
    out = run(sarama_binary, "-brokers", bootstrap, "-topic", topic_name, "-n", "2000", "-keys", "31")
    assert "ok: 2000 messages on 4 partitions" in out
