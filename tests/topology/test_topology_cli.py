"""The ``python -m components.topology`` command on stack files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.topology.__main__ import main, read_stack_file
from topology_testdata import read_golden

REPO = Path(__file__).resolve().parents[2]

DEV_STACK_NODES = [
    {"name": "ty1", "role": "server", "location": "ctyun", "cloud": "ctyun",
     "publicIp": "203.0.113.10", "privateIp": "192.168.1.226/24", "persistentKeepalive": 20},
    {"name": "hw1", "role": "agent", "location": "huaweicloud", "cloud": "huaweicloud",
     "publicIp": "203.0.113.30", "privateIp": "192.168.7.226/24", "persistentKeepalive": 20},
    {"name": "tx1", "role": "agent", "location": "tencentcloud", "cloud": "tencentcloud",
     "publicIp": "198.51.100.50", "privateIp": "172.17.0.3/20", "persistentKeepalive": 20},
    {"name": "ali1", "role": "agent", "location": "aliyun", "cloud": "aliyun",
     "publicIp": "203.0.113.20", "privateIp": "172.21.143.136/20", "persistentKeepalive": 20},
    {"name": "bd1", "role": "agent", "location": "baidu", "cloud": "baidu",
     "publicIp": "198.51.100.40", "privateIp": "192.168.64.4/20", "persistentKeepalive": 20},
    {"name": "bd2", "role": "agent", "location": "baidu", "cloud": "baidu",
     "privateIp": "192.168.64.5/20", "persistentKeepalive": 20},
]


def _write_stack(tmp_path: Path, kilo: dict | None = None, nodes: list | None = None) -> Path:
    config = {
        "k3s-multicloud:sshPrivateKey": {"secure": "v1:AAAA"},
        "k3s-multicloud:nodes": nodes if nodes is not None else DEV_STACK_NODES,
        "other-project:ignored": "x",
    }
    if kilo is not None:
        config["k3s-multicloud:kilo"] = kilo
    (tmp_path / "Pulumi.yaml").write_text("name: k3s-multicloud\nruntime: python\n")
    stack_file = tmp_path / "Pulumi.ci.yaml"
    stack_file.write_text(yaml.safe_dump({"encryptionsalt": "v1:x", "config": config}))
    return stack_file


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("K3SMC_LANG", "en")


def test_read_stack_file_strips_prefix_and_secrets(tmp_path):
    raw, project, stack = read_stack_file(_write_stack(tmp_path))

    assert project == "k3s-multicloud"
    assert stack == "ci"
    assert set(raw) == {"sshPrivateKey", "nodes"}
    assert "v1:AAAA" not in raw["sshPrivateKey"]
    assert "PRIVATE KEY-----" in raw["sshPrivateKey"]


def test_cli_showconf_leader(tmp_path, capsys):
    code = main([str(_write_stack(tmp_path)), "showconf", "ty1"])

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out == read_golden("dev-showconf-ty1.ini")
    assert captured.err == ""


def test_cli_showconf_non_leader_like_kgctl(tmp_path, capsys):
    code = main([str(_write_stack(tmp_path)), "showconf", "bd2"])

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out == ""
    assert captured.err == 'Node "bd2" is not a leader node\n'


def test_cli_showconf_unknown_node(tmp_path, capsys):
    code = main([str(_write_stack(tmp_path)), "showconf", "bd9"])

    assert code == 1
    assert 'did not find any node named "bd9"' in capsys.readouterr().err


def test_cli_graph(tmp_path, capsys):
    code = main([str(_write_stack(tmp_path)), "graph"])

    assert code == 0
    assert capsys.readouterr().out == read_golden("dev-graph.dot")


def test_cli_plan_table(tmp_path, capsys):
    code = main([str(_write_stack(tmp_path)), "plan"])

    out = capsys.readouterr().out
    assert code == 0
    assert "location:baidu         bd2   no      10.42.5.0/24  192.168.64.5" in out
    assert "routes bd2:\n  10.4.0.1/32 via 192.168.64.4 dev tunl0 src 192.168.64.5\n" in out


def test_cli_plan_issues_exit_1(tmp_path, capsys):
    nodes = [dict(node) for node in DEV_STACK_NODES]
    nodes[4]["kiloLeader"] = True
    nodes[5]["kiloLeader"] = True

    code = main([str(_write_stack(tmp_path, nodes=nodes)), "graph"])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == read_golden("dev-graph.dot")
    assert "the planned Kilo mesh has problems: 1 problem(s)" in captured.err
    assert "nodes[5].kiloLeader = True" in captured.err


def test_cli_config_errors_exit_2(tmp_path, capsys):
    code = main([str(_write_stack(tmp_path, kilo={"granularity": "zone"})), "graph"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "kilo.granularity" in captured.err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_cli_graph_svg(tmp_path, capsys):
    svg = tmp_path / "mesh.svg"

    code = main([str(_write_stack(tmp_path)), "graph", "--svg", str(svg)])

    assert code == 0
    assert capsys.readouterr().out == ""
    text = svg.read_text()
    assert "<svg" in text
    assert "192.168.64.5" in text


def test_module_entry_point_dev_stack():
    stack_file = REPO / "Pulumi.dev.yaml"
    if not stack_file.exists():
        pytest.skip("Pulumi.dev.yaml is not in the repository")

    result = subprocess.run(
        [sys.executable, "-m", "components.topology", str(stack_file), "showconf", "ty1"],
        cwd=REPO, capture_output=True, text=True, check=False, env={"K3SMC_LANG": "en", "PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == 0, result.stderr
    # Nodes that became VMs in the dev stack show a placeholder in place of
    # their public IP. Every other line equals the golden file.
    expected = read_golden("dev-showconf-ty1.ini").splitlines()
    actual = result.stdout.splitlines()
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        if got != want:
            assert want.startswith("Endpoint = ")
            assert re.fullmatch(r"Endpoint = <(ali1|hw1|tx1)-public-ip>:51820", got)


def _vm_nodes(**vm):
    nodes = [dict(node) for node in DEV_STACK_NODES]
    ali1 = nodes[3]
    for key in ("publicIp", "privateIp"):
        ali1.pop(key)
    ali1["cloud"] = "alicloud"
    ali1["vm"] = {"region": "cn-hangzhou", **vm}
    return nodes


def test_cli_vm_without_admin_cidrs_exit_2(tmp_path, capsys):
    code = main([str(_write_stack(tmp_path, nodes=_vm_nodes())), "plan"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "adminCidrs = []: is required with VMs" in captured.err


def test_cli_vpc_overlapping_pods_exit_2(tmp_path, capsys):
    nodes = _vm_nodes(vpcCidr="10.40.0.0/14", subnetCidr="10.40.1.0/24")

    code = main([str(_write_stack(tmp_path, nodes=nodes)), "graph"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "nodes[3].vm.vpcCidr = '10.40.0.0/14': overlaps k3s.clusterCidr" in captured.err


def test_cli_mesh_problem_listed_with_config_errors(tmp_path, capsys):
    nodes = _vm_nodes()
    nodes[4]["kiloLeader"] = True
    nodes[5]["kiloLeader"] = True

    code = main([str(_write_stack(tmp_path, nodes=nodes)), "graph"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "invalid stack config: 2 problem(s)" in captured.err
    assert "nodes[5].kiloLeader = True" in captured.err


BROKEN_STACK_FILES = [
    ("yaml-syntax", "config:\n  k3s-multicloud:nodes: [\n", "is not valid YAML: line 3, column 1",
     "不是有效的 YAML：第 3 行第 1 列"),
    ("document-list", "- a\n- b\n", "the document of", "文档是列表，不是映射"),
    ("config-list", "config:\n- x\n", "the config section of", "config 部分是列表，不是映射"),
    ("config-string", "config: nodes\n", "is a string, not a mapping", "config 部分是字符串，不是映射"),
]


@pytest.mark.parametrize("text, english, chinese", [case[1:] for case in BROKEN_STACK_FILES],
                         ids=[case[0] for case in BROKEN_STACK_FILES])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_cli_broken_stack_file_exit_2(tmp_path, capsys, monkeypatch, language, text, english, chinese):
    monkeypatch.setenv("K3SMC_LANG", language)
    stack_file = tmp_path / "Pulumi.ci.yaml"
    stack_file.write_text(text)

    code = main([str(stack_file), "plan"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("error: " if language == "en" else "错误：")
    assert (english if language == "en" else chinese) in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("language, expected", [
    ("en", "not found; pass the path of a stack file"), ("zh", "找不到"),
])
def test_cli_missing_stack_file_exit_2(tmp_path, capsys, monkeypatch, language, expected):
    monkeypatch.setenv("K3SMC_LANG", language)

    code = main([str(tmp_path / "Pulumi.nothere.yaml"), "graph"])

    captured = capsys.readouterr()
    assert code == 2
    assert expected in captured.err


def test_module_entry_point_broken_file(tmp_path):
    stack_file = tmp_path / "Pulumi.ci.yaml"
    stack_file.write_text("config: [\n")

    result = subprocess.run(
        [sys.executable, "-m", "components.topology", str(stack_file), "plan"],
        cwd=REPO, capture_output=True, text=True, check=False, env={"K3SMC_LANG": "en", "PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "is not valid YAML" in result.stderr
