"""Command line: show the planned Kilo mesh of a stack file without deploying.

    python -m components.topology Pulumi.dev.yaml graph [--svg FILE]
    python -m components.topology Pulumi.dev.yaml showconf NODE
    python -m components.topology Pulumi.dev.yaml plan

``graph`` prints DOT like ``kgctl graph`` (or writes an SVG with Graphviz
``dot``), ``showconf`` prints INI like ``kgctl showconf node NODE``, and
``plan`` prints the table of segments, nodes and routes. The stack file goes
through the same validation as ``pulumi up``. Problems of the planned mesh
alone go to stderr after the output, and the exit code is then 1. Any other
problem (a file that cannot be read, an invalid field, a VM network check)
exits with 2 before any output, listing the mesh problems too.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from components.config.fields import type_name
from components.config.load import validate_stack_config
from components.errors import ConfigErrors
from components.i18n import current_locale, pick
from components.topology.dot import render_graph
from components.topology.outputs import render_summary
from components.topology.showconf import NotALeaderError, render_showconf

DEFAULT_PROJECT = "k3s-multicloud"
# The loader checks that sshPrivateKey looks like a key, but the planner never
# reads it, so an encrypted value becomes this armor without key material.
PRIVATE_KEY_PLACEHOLDER = "-----BEGIN OPENSSH PRIVATE KEY-----\n<secret>\n-----END OPENSSH PRIVATE KEY-----\n"
SECRET_PLACEHOLDER = "<secret>"

EXIT_PLAN_ISSUES = 1
EXIT_CONFIG_ERRORS = 2


def _replace_secrets(key: str, value: Any) -> Any:
    """Replace every ``secure:`` leaf with a placeholder, so no decryption is needed."""
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            return PRIVATE_KEY_PLACEHOLDER if key == "sshPrivateKey" else SECRET_PLACEHOLDER
        return {k: _replace_secrets(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secrets(key, item) for item in value]
    return value


class StackFileError(Exception):
    """A stack file that cannot be read or is not a Pulumi stack config."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh

    def render(self, locale: str) -> str:
        return pick(f"error: {self.en}", f"错误：{self.zh}", locale)


def read_stack_file(path: Path) -> tuple[dict[str, Any], str, str]:
    """Return the raw ``<project>:`` config of a Pulumi.<stack>.yaml, the project and the stack.

    The project name comes from Pulumi.yaml next to the stack file. Raises
    StackFileError when a file cannot be read or parsed, or has the wrong shape.
    """
    project = DEFAULT_PROJECT
    project_file = path.parent / "Pulumi.yaml"
    if project_file.exists():
        project_document = _load_yaml(project_file)
        if project_document is not None and not isinstance(project_document, Mapping):
            raise _not_a_mapping(project_file, "the document", "文档", project_document)
        project = str((project_document or {}).get("name", DEFAULT_PROJECT))
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")

    document = _load_yaml(path)
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise _not_a_mapping(path, "the document", "文档", document)
    config = document.get("config")
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise _not_a_mapping(path, "the config section", "config 部分", config)

    prefix = f"{project}:"
    raw = {}
    for full_key, value in config.items():
        if str(full_key).startswith(prefix):
            key = str(full_key)[len(prefix):]
            raw[key] = _replace_secrets(key, value)
    return raw, project, stack


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackFileError(f"{path} not found; pass the path of a stack file such as Pulumi.dev.yaml",
                             f"找不到 {path}；请传入栈配置文件的路径，例如 Pulumi.dev.yaml") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StackFileError(f"cannot read {path}: {error}; pass a readable UTF-8 YAML file",
                             f"无法读取 {path}：{error}；请传入可读的 UTF-8 YAML 文件") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or " ".join(str(error).split())
        if mark is not None:
            where_en = f"line {mark.line + 1}, column {mark.column + 1}: "
            where_zh = f"第 {mark.line + 1} 行第 {mark.column + 1} 列："
        else:
            where_en = where_zh = ""
        raise StackFileError(f"{path} is not valid YAML: {where_en}{problem}; fix the syntax there",
                             f"{path} 不是有效的 YAML：{where_zh}{problem}；请修正该处的语法") from None


def _not_a_mapping(path: Path, part_en: str, part_zh: str, value: Any) -> StackFileError:
    got_en, got_zh = type_name(value)
    return StackFileError(
        f"{part_en} of {path} is {got_en}, not a mapping; a stack file maps config keys such as "
        "k3s-multicloud:nodes to their values",
        f"{path} 中，{part_zh}是{got_zh}，不是映射；栈配置文件应把 k3s-multicloud:nodes 这样的配置键映射到对应的值")


def _write_svg(dot_text: str, svg_path: Path, locale: str) -> bool:
    dot = shutil.which("dot")
    if dot is None:
        print(pick("error: Graphviz `dot` not found; install it (Debian: apt-get install graphviz) "
                   "or drop --svg to print DOT",
                   "错误：找不到 Graphviz 的 `dot`；请安装（Debian：apt-get install graphviz），"
                   "或去掉 --svg 直接输出 DOT", locale), file=sys.stderr)
        return False
    result = subprocess.run([dot, "-Tsvg", "-o", str(svg_path)], input=dot_text, text=True,
                            capture_output=True, check=False)
    if result.returncode != 0:
        print(pick(f"error: dot failed with exit code {result.returncode}: {result.stderr.strip()}",
                   f"错误：dot 执行失败，退出码 {result.returncode}：{result.stderr.strip()}", locale),
              file=sys.stderr)
        return False
    print(pick(f"Wrote {svg_path}", f"已写入 {svg_path}", locale), file=sys.stderr)
    return True


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m components.topology",
        description="Show the Kilo mesh that a stack config produces, before deploying it.",
    )
    parser.add_argument("stack_file", type=Path, help="stack config file, e.g. Pulumi.dev.yaml")
    commands = parser.add_subparsers(dest="command", required=True)
    graph = commands.add_parser("graph", help="print the mesh as DOT, like `kgctl graph`")
    graph.add_argument("--svg", type=Path, metavar="FILE",
                       help="write an SVG rendered by Graphviz `dot` to FILE instead of printing DOT")
    showconf = commands.add_parser("showconf", help="print a leader's WireGuard config, like `kgctl showconf node`")
    showconf.add_argument("node", help="node name from the stack config")
    commands.add_parser("plan", help="print segments, leaders, WireGuard IPs and routes as a table")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    locale = current_locale()

    try:
        raw, project, stack = read_stack_file(args.stack_file)
    except StackFileError as error:
        print(error.render(locale), file=sys.stderr)
        return EXIT_CONFIG_ERRORS
    validation = validate_stack_config(raw, project, stack, locale)
    if validation.cluster is None or validation.mesh is None:
        errors = validation.errors()
        assert errors is not None
        print(errors.render(locale), file=sys.stderr)
        return EXIT_CONFIG_ERRORS
    plan = validation.mesh

    if args.command == "graph":
        dot_text = render_graph(plan)
        if args.svg is None:
            sys.stdout.write(dot_text)
        elif not _write_svg(dot_text, args.svg, locale):
            return 1
    elif args.command == "showconf":
        try:
            sys.stdout.write(render_showconf(plan, args.node))
        except NotALeaderError as error:
            # kgctl prints this on stderr and still exits 0.
            print(error, file=sys.stderr)
        except KeyError:
            print(pick(f'error: did not find any node named "{args.node}" in {args.stack_file}',
                       f'错误：{args.stack_file} 中没有名为 "{args.node}" 的节点', locale), file=sys.stderr)
            return 1
    else:
        sys.stdout.write(render_summary(plan, locale))

    if validation.issues:
        title = pick("the planned Kilo mesh has problems", "规划的 Kilo 网格有问题", locale)
        print(ConfigErrors(validation.issues, title, title).render(locale), file=sys.stderr)
        return EXIT_PLAN_ISSUES
    return 0


if __name__ == "__main__":
    sys.exit(main())
