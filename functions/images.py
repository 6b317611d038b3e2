"""Image cache on a hypervisor: each image fetched once, verified, then used."""
from __future__ import annotations

from functions.node import Node
from functions.outcome import Outcome, Plan


def decide_cached(present: bool) -> Plan:
    return Plan("none") if present else Plan("fetch", "download and verify SHA-512")


def ensure_image_cached(node: Node, req: dict) -> Outcome:
    """req: {"images": [{"id", "sha512", "location", "disk_format"}, ...]}"""
    fetched = []
    for image in req["images"]:
        path = node.cached_image(image)
        if decide_cached(path.exists()).noop:
            continue
        node.make_dir(path.parent)
        node.images.fetch(image["location"], path, image["sha512"])
        fetched.append(image["id"])
    paths = {img["id"]: str(node.cached_image(img)) for img in req["images"]}
    if not fetched:
        return Outcome.unchanged("cached", paths=paths)
    return Outcome(True, before="missing", after="cached", note=f"fetched {len(fetched)} image(s)",
                   data={"paths": paths})


def plan_image_cached(node: Node, req: dict) -> Plan:
    missing = [i["id"] for i in req["images"] if not node.cached_image(i).exists()]
    return Plan("fetch", f"{len(missing)} image(s)") if missing else Plan("none")
