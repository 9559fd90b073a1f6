"""kcat (librdkafka's CLI): metadata, the quickstart, every codec with keys and headers."""
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed (apt: kcat)")


def kcat(bootstrap, *args, input=None, timeout=60):
    cmd = ["kcat", "-b", bootstrap, *args]
    proc = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')}"
    return proc.stdout.decode()


def test_metadata_listing(bootstrap, topic_name):
    kcat(bootstrap, "-P", "-t", topic_name, input=b"hello\n")
    out = kcat(bootstrap, "-L")
    port = bootstrap.rsplit(":", 1)[1]
    assert "1 brokers:" in out, out
    assert f"broker 1 at localhost:{port}" in out, out
    assert f'topic "{topic_name}" with 1 partitions:' in out, out
    assert "partition 0, leader 1, replicas: 1, isrs: 1" in out, out


def test_quickstart_produce_consume(bootstrap, topic_name):
    lines = [f"quickstart event {i}" for i in range(20)]
    kcat(bootstrap, "-P", "-t", topic_name, input=("\n".join(lines) + "\n").encode())
    out = kcat(bootstrap, "-C", "-t", topic_name, "-o", "beginning", "-e", "-q")
    assert out.splitlines() == lines


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_codec_keys_headers(bootstrap, topic_name, codec):
    n = 200
    payload = "".join(f"key{i % 7}:value-{i}-{'x' * (i % 50)}\n" for i in range(n)).encode()
    kcat(bootstrap, "-P", "-t", topic_name, "-z", codec, "-K:", "-H", "origin=kcat", "-H", f"codec={codec}",
         "-X", "linger.ms=50", input=payload)
    out = kcat(bootstrap, "-C", "-t", topic_name, "-o", "beginning", "-e", "-q",
               "-f", "%o|%k|%s|%h\n")
    got = out.splitlines()
    assert len(got) == n, out[-2000:]
    for i, line in enumerate(got):
        assert line == f"{i}|key{i % 7}|value-{i}-{'x' * (i % 50)}|origin=kcat,codec={codec}", line
