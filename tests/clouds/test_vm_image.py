"""A newer image from the Ubuntu lookup must not rebuild existing VMs."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from components.clouds.tencentcloud import newest_image_id
from tests.clouds import configs
from tests.clouds.helpers import build
from tests.clouds.mocks import TENCENT_IMAGE

INSTANCE_TYPE = {"ali1": "alicloud:ecs/instance:Instance",
                 "tx1": "tencentcloud:Instance/instance:Instance",
                 "hw1": "huaweicloud:Ecs/instance:Instance"}


def with_image(node_name: str, image_id: str):
    nodes = []
    for node in configs.seed_nodes():
        if node.name == node_name:
            node = dataclasses.replace(node, vm=dataclasses.replace(node.vm, image_id=image_id))
        nodes.append(node)
    return configs.cluster(nodes)


@pytest.mark.parametrize("node_name", sorted(INSTANCE_TYPE))
def test_looked_up_image_is_ignored_after_creation(mocks, node_name):
    build(configs.cluster())
    instance = mocks.named(node_name, INSTANCE_TYPE[node_name])
    assert mocks.ignore_changes[node_name] == ["imageId"]
    assert instance.inputs["imageId"]


@pytest.mark.parametrize("node_name", sorted(INSTANCE_TYPE))
def test_configured_image_changes_apply(mocks, node_name):
    build(with_image(node_name, "img-configured1"))
    instance = mocks.named(node_name, INSTANCE_TYPE[node_name])
    assert instance.inputs["imageId"] == "img-configured1"
    assert mocks.ignore_changes[node_name] == []
    # The other VMs still use the lookup.
    for other in set(INSTANCE_TYPE) - {node_name}:
        assert mocks.ignore_changes[other] == ["imageId"]


def image(image_id: str, name: str, created: str | None):
    return SimpleNamespace(image_id=image_id, image_name=name, created_time=created)


def test_tencent_lookup_takes_the_newest_image(mocks):
    build(configs.cluster())
    assert mocks.named("tx1", INSTANCE_TYPE["tx1"]).inputs["imageId"] == TENCENT_IMAGE


def test_newest_image_id_ignores_list_order():
    images = [image("img-b", "Ubuntu Server 22.04 LTS 64bit", "2024-01-02T00:00:00Z"),
              image("img-c", "Ubuntu Server 22.04 LTS 64bit", "2024-05-01T00:00:00Z"),
              image("img-a", "Ubuntu Server 22.04 LTS 64bit", "2023-12-31T00:00:00Z")]
    assert newest_image_id(images, "22.04") == "img-c"
    assert newest_image_id(list(reversed(images)), "22.04") == "img-c"
    same_time = [image("img-2", "Ubuntu Server 22.04 LTS 64bit", "2024-01-01T00:00:00Z"),
                 image("img-1", "Ubuntu Server 22.04 LTS 64bit", "2024-01-01T00:00:00Z")]
    assert newest_image_id(same_time, "22.04") == newest_image_id(same_time[::-1], "22.04")


def test_newest_image_id_without_images_names_the_fix():
    with pytest.raises(ValueError, match="vm.imageId"):
        newest_image_id([], "24.04")
