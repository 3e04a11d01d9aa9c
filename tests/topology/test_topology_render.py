"""DOT and INI output, byte for byte against kgctl's layout, plus the stack outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.topology import (
    NotALeaderError,
    plan_mesh,
    plan_outputs,
    render_graph,
    render_showconf,
)
from topology_testdata import (
    example_cluster,
    example_peers,
    read_golden,
    dev_cluster,
    dev_vm_cluster,
)


def test_example_graph_matches_golden():
    plan = plan_mesh(example_cluster(), example_peers())

    assert render_graph(plan) == read_golden("example-graph.dot")


def test_example_showconf_leader_matches_golden():
    plan = plan_mesh(example_cluster(), example_peers())

    assert render_showconf(plan, "ali-1") == read_golden("example-showconf-ali-1.ini")


def test_example_showconf_non_leader_raises():
    plan = plan_mesh(example_cluster(), example_peers())

    with pytest.raises(NotALeaderError) as error:
        render_showconf(plan, "ali-2")
    assert str(error.value) == 'Node "ali-2" is not a leader node'


def test_showconf_unknown_node_raises():
    plan = plan_mesh(example_cluster())

    with pytest.raises(KeyError):
        render_showconf(plan, "nope")


def test_dev_stack_showconf_ty1_matches_golden():
    plan = plan_mesh(dev_cluster())

    assert render_showconf(plan, "ty1") == read_golden("dev-showconf-ty1.ini")


def test_dev_stack_showconf_bd2_not_leader():
    plan = plan_mesh(dev_cluster())

    with pytest.raises(NotALeaderError):
        render_showconf(plan, "bd2")


def test_dev_stack_graph_matches_golden():
    plan = plan_mesh(dev_cluster())

    assert render_graph(plan) == read_golden("dev-graph.dot")


def test_dev_stack_graph_bd2_label_has_no_wireguard_ip():
    graph = render_graph(plan_mesh(dev_cluster()))

    assert '"bd2" [ label="location:baidu\\nbd2\\n10.42.5.0/24\\n192.168.64.5", shape=ellipse ];' in graph
    assert '"bd1"->"bd2"[ dir=both ];' in graph


def test_dev_stack_vm_showconf_uses_placeholders():
    plan = plan_mesh(dev_vm_cluster())

    assert render_showconf(plan, "bd1") == read_golden("dev-vm-showconf-bd1.ini")


def test_showconf_prints_peer_preshared_key():
    from dataclasses import replace

    peers = [replace(example_peers()[0], has_preshared_key=True, endpoint="198.51.100.9:51820")]
    text = render_showconf(plan_mesh(example_cluster(), peers), "hw-1")

    assert text.endswith(
        "[Peer]\nAllowedIPs = 10.5.0.1/32\nEndpoint = 198.51.100.9:51820\nPersistentKeepalive = 0\n"
        "PresharedKey = <laptop-preshared-key>\nPublicKey = <laptop>\n"
    )


def test_showconf_keepalive_is_own_value():
    plan = plan_mesh(example_cluster(), example_peers())

    text = render_showconf(plan, "home-1")

    assert text.count("PersistentKeepalive = 25") == 4
    assert "PublicKey = <home-1>" not in text


def test_plan_outputs_keys_and_content():
    outputs = plan_outputs(dev_cluster())

    assert set(outputs) == {"meshGraph", "meshConf", "meshPlan"}
    assert outputs["meshGraph"] == read_golden("dev-graph.dot")
    assert outputs["meshConf"].startswith("# kgctl showconf node ali1\n[Interface]\n")
    assert "# kgctl showconf node ty1\n" + read_golden("dev-showconf-ty1.ini") in outputs["meshConf"]
    assert "bd2" not in [line.split()[-1] for line in outputs["meshConf"].splitlines() if line.startswith("#")]
    assert "location:baidu         bd2   no" in outputs["meshPlan"]
    assert "routes " not in outputs["meshPlan"]


def test_plan_outputs_english_under_chinese_locale(monkeypatch):
    monkeypatch.setenv("K3SMC_LANG", "zh")

    outputs = plan_outputs(dev_cluster())

    assert outputs["meshPlan"].startswith("# Kilo 0.7.0 mesh plan")


def test_docs_picture_source_matches_plan():
    docs = Path(__file__).resolve().parents[2] / "docs"

    assert (docs / "topology-dev.dot").read_text() == render_graph(plan_mesh(dev_cluster()))
    svg = (docs / "topology-dev.svg").read_text()
    for label in ("bd2", "10.42.5.0/24", "10.4.0.2", "198.51.100.40:51820"):
        assert label in svg
