"""Three `tributary server` processes, combined broker+controller nodes with a three-voter
controller.quorum.voters: one KRaft quorum. A topic created on the active controller's broker shows in kcat -L
against every node, which all name the same controller; after the controller's node stops, another takes over
and creates a second topic.

Times are printed, never asserted; every wait is bounded.
"""
import re
import shutil
import subprocess
import time

import pytest

from conftest import BrokerProcess
from test_raft_nodes import wait_for

pytestmark = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed (apt: kcat)")

CLUSTER_ID = "UXVvcnVtTm9kZXNUZXN0MQ"


def kcat_metadata(bootstrap):
    r = subprocess.run(["kcat", "-b", bootstrap, "-L", "-m", "5"], capture_output=True, text=True, timeout=30)
    return r.stdout if r.returncode == 0 else ""


def controller_of(text):
    """The controller id kcat -L reports ("broker N at host:port (controller)"), or None."""
    m = re.search(r"broker (\d+) at \S+ \(controller\)", text)
    return int(m.group(1)) if m else None


def create_topic(node, name):
    """CreateTopics through confluent-kafka's admin client (librdkafka sends it to the controller that Metadata
    names): the error code name, or None on success."""
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": node.bootstrap})
    try:
        admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)],
                            operation_timeout=10)[name].result(timeout=30)
        return None
    except Exception as e:  # KafkaException carrying the KafkaError
        err = e.args[0] if e.args else e
        return getattr(err, "name", lambda: str(err))()


def test_three_combined_nodes_form_one_quorum(tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTER_ID", CLUSTER_ID)
    nodes = {i: BrokerProcess(str(tmp_path / f"node-{i}" / "data"), name=f"node-{i}") for i in (1, 2, 3)}
    for n in nodes.values():
        (tmp_path / f"node-{n.name[-1]}").mkdir()
    voters = ",".join(f"{i}@localhost:{n.controller_port}" for i, n in nodes.items())
    for i, n in nodes.items():
        n.overrides = ["process.roles=broker,controller", f"node.id={i}", "controller.listener.names=CONTROLLER",
                       f"controller.quorum.voters={voters}"]
    try:
        for n in nodes.values():
            n.start(timeout=30)

        def agreed_controller(running):
            ids = {controller_of(kcat_metadata(n.bootstrap)) for n in running.values()}
            return ids.pop() if len(ids) == 1 and None not in ids and -1 not in ids else None

        first = wait_for("all nodes name one controller", lambda: agreed_controller(nodes))
        assert first in nodes, {i: kcat_metadata(n.bootstrap) for i, n in nodes.items()}
        leader = nodes[first]
        assert wait_for("topic created on the controller", lambda: create_topic(leader, "quorum-a") is None), \
            leader.log_text()[-4000:]
        assert wait_for("quorum-a in kcat -L of every node",
                        lambda: all("topic \"quorum-a\"" in kcat_metadata(n.bootstrap) for n in nodes.values()))
        for n in nodes.values():
            text = kcat_metadata(n.bootstrap)
            assert controller_of(text) == first, text

        leader.stop_cleanly()
        rest = {i: n for i, n in nodes.items() if i != first}
        second = wait_for("the remaining nodes name a new controller",
                          lambda: (lambda c: c if c not in (None, first) else None)(agreed_controller(rest)))
        assert second in rest, {i: kcat_metadata(n.bootstrap) for i, n in rest.items()}
        assert wait_for("second topic created on the new controller",
                        lambda: create_topic(rest[second], "quorum-b") is None), rest[second].log_text()[-4000:]
        assert wait_for("both topics on the remaining nodes",
                        lambda: all("topic \"quorum-a\"" in kcat_metadata(n.bootstrap)
                                    and "topic \"quorum-b\"" in kcat_metadata(n.bootstrap) for n in rest.values()))
        for n in rest.values():
            n.stop_cleanly()
    finally:
        for n in nodes.values():
            n.kill()
