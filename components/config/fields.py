"""Readers for single stack config values.

Each reader checks one value, records a ConfigIssue when it is wrong and
returns None (or the default) instead of raising, so the loader can go on and
report every problem of a config at once.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from components.errors import IssueCollector
from components.redaction import SECRET_PLACEHOLDER, is_secret_key

_TYPE_NAMES = {
    "string": ("a string", "字符串"),
    "bool": ("true or false", "true 或 false"),
    "int": ("a whole number", "整数"),
    "list": ("a list", "列表"),
    "mapping": ("a mapping of keys to values", "键值映射"),
}


def child(path: str, key: str | int) -> str:
    """Return the field path of ``key`` below ``path`` (``nodes[2].ssh.port``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def type_name(value: Any) -> tuple[str, str]:
    """Name the YAML type of ``value`` in English and Chinese for messages."""
    if value is None:
        return "null", "null"
    if isinstance(value, bool):
        return "a boolean", "布尔值"
    if isinstance(value, (int, float)):
        return "a number", "数字"
    if isinstance(value, str):
        return "a string", "字符串"
    if isinstance(value, Mapping):
        return "a mapping", "映射"
    if isinstance(value, (list, tuple)):
        return "a list", "列表"
    return type(value).__name__, type(value).__name__


def wrong_type(collector: IssueCollector, path: str, value: Any, expected: str,
               display_value: Any = None) -> None:
    """Record that ``value`` at ``path`` is not of the ``expected`` type.

    ``display_value`` replaces the value in the message (for secrets).
    """
    want_en, want_zh = _TYPE_NAMES[expected]
    got_en, got_zh = type_name(value)
    want_zh, got_zh = _after_cjk(want_zh), _after_cjk(got_zh)
    collector.add(
        path, value if display_value is None else display_value,
        f"must be {want_en}, not {got_en}; write it as {want_en}",
        f"必须是{want_zh}，而不是{got_zh}；请改写为{want_zh}",
    )


def _after_cjk(text: str) -> str:
    """Put a space before Latin text that follows a Chinese character ("是 true 或 false")."""
    return f" {text}" if text[:1].isascii() else text


def suggest(key: str, allowed: Iterable[str]) -> str | None:
    """Return the allowed key closest to a misspelled ``key``, if any is close."""
    allowed = list(allowed)
    by_lower = {name.lower(): name for name in allowed}
    if key.lower() in by_lower:
        return by_lower[key.lower()]
    matches = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return matches[0] if matches else None


def check_keys(collector: IssueCollector, path: str, mapping: Mapping[str, Any],
               allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """Record every key of ``mapping`` that is not in ``allowed``, and every null value.

    A misspelled key would otherwise be ignored and its default used without
    notice, so each one is an error with the closest allowed key as the fix.
    A key written without a value (YAML null) is an error too. Null values of
    ``required`` keys are left to the reader, whose "is required" message
    gives the fix.
    """
    allowed = tuple(allowed)
    required = tuple(required)
    for key, value in mapping.items():
        key_path = child(path, str(key))
        if key in allowed:
            if value is None and key not in required:
                collector.add(key_path, None, "has no value (YAML null); write a value or delete the key",
                              "没有值（YAML null）；请填写值或删除该键")
            continue
        listing = ", ".join(allowed)
        guess = suggest(str(key), allowed)
        # The value of a misspelled secret key is as secret as the key itself.
        display_value = SECRET_PLACEHOLDER if is_secret_key(key) or is_secret_key(guess) else value
        if guess:
            collector.add(
                key_path, display_value,
                f"unknown key; did you mean '{guess}'? Allowed keys here: {listing}",
                f"未知的键；是否应为 '{guess}'？此处允许的键：{listing}",
            )
        else:
            collector.add(
                key_path, display_value,
                f"unknown key; remove it or use one of: {listing}",
                f"未知的键；请删除，或改用以下之一：{listing}",
            )


def missing(collector: IssueCollector, path: str, hint_en: str, hint_zh: str) -> None:
    """Record that a required value at ``path`` is absent.

    Nothing is added when ``path`` already has an issue, such as a key written
    with a null value, so one mistake gives one message.
    """
    if any(issue.path == path for issue in collector.issues):
        return
    collector.add(path, None, f"is required; {hint_en}", f"必须设置；{hint_zh}")


def read_mapping(collector: IssueCollector, path: str, value: Any) -> Mapping[str, Any] | None:
    """Return ``value`` as a mapping (None counts as empty), or record an issue."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    wrong_type(collector, path, value, "mapping")
    return None


def read_str(collector: IssueCollector, path: str, value: Any, *,
             secret: bool = False) -> str | None:
    """Return ``value`` when it is a non-empty string, or record an issue."""
    if value is None:
        return None
    display_value = SECRET_PLACEHOLDER if secret else value
    if not isinstance(value, str):
        wrong_type(collector, path, value, "string", display_value=display_value)
        return None
    if not value.strip():
        collector.add(path, display_value, "must not be empty; set a value or remove the key",
                      "不能为空；请填写值或删除该键")
        return None
    return value


def read_bool(collector: IssueCollector, path: str, value: Any, default: bool) -> bool:
    """Return ``value`` as a bool (YAML true/false only), or record an issue."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    wrong_type(collector, path, value, "bool")
    return default


def read_int(collector: IssueCollector, path: str, value: Any, *, minimum: int,
             maximum: int, unit_en: str = "", unit_zh: str = "") -> int | None:
    """Return ``value`` as an int in [minimum, maximum], or record an issue.

    A float with no fractional part (``20.0``) is accepted because YAML and
    JSON tools sometimes write whole numbers that way. Booleans are rejected
    even though Python treats them as ints.
    """
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    unit_en = f" of {unit_en}" if unit_en else ""
    if number is None or not minimum <= number <= maximum:
        collector.add(
            path, value,
            f"must be a whole number{unit_en} from {minimum} to {maximum}",
            f"必须是 {minimum} 到 {maximum} 之间的整数{unit_zh}",
        )
        return None
    return number


def read_str_list(collector: IssueCollector, path: str, value: Any) -> list[tuple[str, str]]:
    """Return the strings of a list as (path, value) pairs, recording non-strings."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        wrong_type(collector, path, value, "list")
        return []
    result = []
    for index, item in enumerate(value):
        item_path = child(path, index)
        text = read_str(collector, item_path, item)
        if text is not None:
            result.append((item_path, text))
        elif item is None:
            collector.add(item_path, item, "must be a string; remove the empty entry",
                          "必须是字符串；请删除空条目")
    return result


def parse_ipv4_address(collector: IssueCollector, path: str, value: Any) -> ipaddress.IPv4Address | None:
    """Parse a single IPv4 address without prefix, e.g. 203.0.113.10."""
    text = read_str(collector, path, value)
    if text is None:
        return None
    try:
        address = ipaddress.IPv4Address(text.strip())
    except ValueError:
        collector.add(path, value,
                      "is not an IPv4 address; write four numbers from 0 to 255, e.g. 203.0.113.10",
                      "不是 IPv4 地址；请写成四个 0-255 的数字，例如 203.0.113.10")
        return None
    if address.is_unspecified or address.is_multicast or address.is_loopback or address == ipaddress.IPv4Address("255.255.255.255"):
        collector.add(path, value,
                      "is not a usable host address (unspecified, loopback, multicast or broadcast); "
                      "use the address the host answers on",
                      "不是可用的主机地址（未指定、回环、组播或广播地址）；请填写主机实际使用的地址")
        return None
    return address


def parse_ipv4_interface(collector: IssueCollector, path: str, value: Any) -> ipaddress.IPv4Interface | None:
    """Parse a host address with its network prefix, e.g. 192.168.64.4/20."""
    text = read_str(collector, path, value)
    if text is None:
        return None
    text = text.strip()
    example_en = "write the host address with its network prefix, e.g. 192.168.64.4/20"
    example_zh = "请写成主机地址加网络前缀，例如 192.168.64.4/20"

    if "/" not in text:
        collector.add(path, value, f"has no prefix length; {example_en}",
                      f"缺少前缀长度；{example_zh}")
        return None

    try:
        interface = ipaddress.IPv4Interface(text)
    except ValueError:
        collector.add(path, value, f"is not an IPv4 address with prefix; {example_en}",
                      f"不是带前缀的 IPv4 地址；{example_zh}")
        return None

    network = interface.network
    if network.prefixlen == 0:
        collector.add(path, value, f"has prefix length 0; {example_en}",
                      f"前缀长度不能为 0；{example_zh}")
        return None

    if interface.ip.is_unspecified or interface.ip.is_loopback or interface.ip.is_multicast:
        collector.add(path, value,
                      "is not a usable host address (unspecified, loopback or multicast); "
                      "use the host's VPC address",
                      "不是可用的主机地址（未指定、回环或组播地址）；请填写主机的 VPC 内网地址")
        return None

    if network.prefixlen < 31 and interface.ip in (network.network_address, network.broadcast_address):
        collector.add(path, value,
                      f"is the network or broadcast address of {network}, not a host address; "
                      f"{example_en}",
                      f"是 {network} 的网络地址或广播地址，不是主机地址；{example_zh}")
        return None

    return interface


def parse_ipv4_network(collector: IssueCollector, path: str, value: Any) -> ipaddress.IPv4Network | None:
    """Parse a CIDR whose host bits are zero, e.g. 10.42.0.0/16."""
    text = read_str(collector, path, value)
    if text is None:
        return None
    text = text.strip()
    if "/" not in text:
        collector.add(path, value, "has no prefix length; write a CIDR such as 10.42.0.0/16",
                      "缺少前缀长度；请写成 CIDR，例如 10.42.0.0/16")
        return None
    try:
        return ipaddress.IPv4Network(text)
    except ValueError:
        pass
    try:
        loose = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        collector.add(path, value, "is not an IPv4 CIDR; write it like 10.42.0.0/16",
                      "不是 IPv4 CIDR；请写成 10.42.0.0/16 这样的形式")
        return None
    collector.add(path, value, f"has host bits set; write the network as {loose}",
                  f"主机位不为 0；请写成网络地址 {loose}")
    return None
