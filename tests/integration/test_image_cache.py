"""The hypervisor image cache against real qemu-img and libvirtd: downloads inspected,
disk images converted once to qcow2, overlays on the converted base, and the cleaner.

Each fixture node is the conftest `node` on a storage root of its own (next to the
shared one), so the cache holds exactly what a test put there. No guest boots."""
import hashlib
import os
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from functions import compute, disks, image_cache, images
from functions.node import FILE_MODE
from infra import qemu_img
from infra.errors import HostflowError
from infra.image_source import ImageSource
from infra.queue import JOB_FUNCTION, queue, redis_from_url
from infra.settings import Settings
from workers import process as worker

MIB, DAY = 1 << 20, 86400
CONVERTED = ["vmdk", "vdi", "vhd", "vhdx", "raw", "ami"]
QEMU_OUT = {"vhd": "vpc", "ami": "raw"}


@pytest.fixture(scope="module")
def node_factory(node):
    """Nodes on fresh storage roots; their roots and the domains defined there go at the end."""
    made = []

    def make(**changes):
        n = replace(node, root=node.root.parent / f"itest-cache-{uuid.uuid4().hex[:8]}", **changes)
        n.make_dir(n.root / "images")
        made.append(n)
        return n

    yield make
    for name in node.compute.domains_marked(node.stack):
        if any(str(n.root) in (node.compute.xml(name) or "") for n in made):
            node.compute.undefine(name)
    for n in made:
        shutil.rmtree(n.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cache_node(node_factory):
    return node_factory()


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """A small disk with known contents as raw, as the qcow2 made from it, and converted
    from that qcow2 into every format the cache converts."""
    directory = tmp_path_factory.mktemp("image-sources")
    original = directory / "original.raw"
    with open(original, "wb") as fh:
        fh.truncate(4 * MIB)
        fh.write(b"hostflow image cache\n" * 100)
        fh.seek(3 * MIB)
        fh.write(os.urandom(64 << 10))
    small = directory / "small.qcow2"
    qemu("convert", "-f", "raw", "-O", "qcow2", str(original), str(small))
    files = {"qcow2": small, "original": original}
    for fmt in CONVERTED:
        files[fmt] = directory / f"disk.{fmt}"
        qemu("convert", "-f", "qcow2", "-O", QEMU_OUT.get(fmt, fmt), str(small), str(files[fmt]))
    return files


def qemu(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["qemu-img", *args], check=True, capture_output=True, text=True)


def ref(path: Path, disk_format: str, name: str = "") -> dict:
    digest = hashlib.sha512(path.read_bytes()).hexdigest()
    return {"id": f"itc-{name or disk_format}-{uuid.uuid4().hex[:6]}", "sha512": digest, "location": str(path),
            "disk_format": disk_format}


def same_contents(original: Path, image: Path) -> bool:
    """qemu-img compare: what a guest reads from `image` equals the raw original (any
    extra virtual size reads as zeros)."""
    return subprocess.run(["qemu-img", "compare", "-q", "-f", "raw", "-F", "qcow2", str(original), str(image)]
                          ).returncode == 0


def files_of(node, image: dict) -> list[str]:
    return sorted(p.name for p in (node.root / "images").glob(f"{image['id']}*"))


def cache(node, *refs: dict):
    return images.ensure_image_cached(node, {"images": list(refs)})


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


# --- download, inspection, conversion -------------------------------------------------

@pytest.mark.parametrize("fmt", CONVERTED)
def test_disk_image_is_converted_once_to_a_qcow2_entry(cache_node, sources, fmt):
    image = ref(sources[fmt], fmt)
    outcome = cache(cache_node, image)
    entry = cache_node.cached_image(image)
    assert outcome.changed and outcome.data["paths"] == {image["id"]: str(entry)}
    assert entry.suffix == ".qcow2" and files_of(cache_node, image) == [entry.name]
    info = qemu_img.info(entry, "qcow2")
    assert info["format"] == "qcow2" and "backing-filename" not in info
    assert same_contents(sources["original"], entry)
    assert entry.stat().st_mode & 0o777 == FILE_MODE  # QEMU reads it through its group, others not at all


@pytest.mark.parametrize("fmt", ["vmdk", "raw"])
def test_second_call_is_already_done_and_converts_nothing(cache_node, sources, fmt):
    image = ref(sources[fmt], fmt)
    cache(cache_node, image)
    entry = cache_node.cached_image(image)
    inode = entry.stat().st_ino
    again = cache(cache_node, image)
    assert not again.changed and again.note == "already done"
    assert entry.stat().st_ino == inode and files_of(cache_node, image) == [entry.name]


def test_qcow2_image_is_cached_byte_for_byte(cache_node, sources):
    image = ref(sources["qcow2"], "qcow2")
    cache(cache_node, image)
    assert cache_node.cached_image(image).read_bytes() == sources["qcow2"].read_bytes()


def test_overlay_is_built_on_the_converted_base(cache_node, sources):
    image = ref(sources["vmdk"], "vmdk")
    cache(cache_node, image)
    req = {"host_id": str(uuid.uuid4()), "base": image, "disk_gb": 1}
    created = disks.ensure_root_disk(cache_node, req)
    disk = cache_node.root_disk(req["host_id"])
    info = qemu_img.info(disk, "qcow2")
    assert created.changed
    assert info["backing-filename"] == str(cache_node.cached_image(image).resolve())
    assert info["backing-filename-format"] == "qcow2"
    assert same_contents(sources["original"], disk)
    assert not disks.ensure_root_disk(cache_node, req).changed


def test_plan_tells_which_images_are_converted(cache_node, sources):
    wanted = [ref(sources["vdi"], "vdi"), ref(sources["qcow2"], "qcow2")]
    plan = images.plan_image_cached(cache_node, {"images": wanted})
    assert plan.action == "fetch" and plan.detail == "2 image(s), 1 converted to qcow2"
    cache(cache_node, *wanted)
    assert images.plan_image_cached(cache_node, {"images": wanted}).noop


def rejected(node, image: dict) -> HostflowError:
    with pytest.raises(HostflowError) as info:
        cache(node, image)
    assert info.value.code == "image_rejected"
    assert files_of(node, image) == []
    return info.value


def test_format_mismatch_leaves_no_cache_entry(cache_node, sources):
    error = rejected(cache_node, ref(sources["qcow2"], "vmdk", "mismatch"))
    assert error.details["reason"] == "format_mismatch"


def test_qcow2_backed_by_a_host_file_leaves_no_cache_entry(cache_node, tmp_path):
    evil = tmp_path / "evil.qcow2"
    qemu("create", "-q", "-f", "qcow2", "-F", "raw", "-b", "/etc/hostname", str(evil), "1M")
    error = rejected(cache_node, ref(evil, "qcow2", "backed"))
    assert error.details["reason"] == "backing_file"


def test_virtual_size_over_the_limit_leaves_no_cache_entry(node_factory, sources):
    small_limit = node_factory(images=ImageSource(None, max_virtual_size=MIB))
    error = rejected(small_limit, ref(sources["vdi"], "vdi", "big"))
    assert error.details["reason"] == "virtual_size_too_large"


# --- the cleaner ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def aged_cache(node_factory, sources, tmp_path_factory):
    """A cache two days old but for one entry: a base under a root disk, a kernel and a
    ramdisk of a defined (never started) domain, an unused base, a download leftover."""
    n = node_factory()
    blobs = tmp_path_factory.mktemp("boot")
    (blobs / "kernel").write_bytes(b"not really a kernel\n" * 500)
    (blobs / "ramdisk").write_bytes(b"not really a ramdisk\n" * 500)
    refs = {"base": ref(sources["vmdk"], "vmdk", "base"), "unused": ref(sources["raw"], "raw", "unused"),
            "kernel": ref(blobs / "kernel", "aki"), "ramdisk": ref(blobs / "ramdisk", "ari"),
            "recent": ref(sources["qcow2"], "qcow2", "recent")}
    cache(n, *refs.values())
    disk_host = str(uuid.uuid4())
    disks.ensure_root_disk(n, {"host_id": disk_host, "base": refs["base"], "disk_gb": 1})
    compute.ensure_domain_defined(n, {
        "host_id": str(uuid.uuid4()), "operation_id": "op-itc", "project": "it", "vcpus": 1, "ram_mb": 128,
        "nics": [], "boot": {"kernel": refs["kernel"], "ramdisk": refs["ramdisk"], "cmdline": "console=ttyS0"}})
    leftover = n.root / "images" / "crashed-0123456789abcdef.qcow2.tmp"
    leftover.write_bytes(b"half a conversion")
    for path in (n.root / "images").iterdir():
        age(path, 2 * DAY)
    age(n.cached_image(refs["recent"]), 60)
    return {"node": n, "refs": refs, "leftover": leftover, "disk_host": disk_host}


def test_plan_names_what_the_cleaner_would_free(aged_cache):
    n, refs = aged_cache["node"], aged_cache["refs"]
    plan = image_cache.plan_clean_image_cache(n, {"max_age_s": DAY})
    assert plan.action == "delete"
    assert plan.detail.startswith("2 file(s)")
    assert n.cached_image(refs["unused"]).name in plan.detail and aged_cache["leftover"].name in plan.detail


def test_cleaner_frees_only_old_unused_entries(aged_cache):
    n, refs = aged_cache["node"], aged_cache["refs"]
    unused = n.cached_image(refs["unused"])
    size = unused.stat().st_blocks * 512 + aged_cache["leftover"].stat().st_blocks * 512
    outcome = image_cache.clean_image_cache(n, {"max_age_s": DAY})
    assert outcome.changed
    assert outcome.data == {"freed": sorted([unused.name, aged_cache["leftover"].name]), "freed_bytes": size}
    assert outcome.before["files"] == 6 and outcome.after["files"] == 4
    assert not unused.exists() and not aged_cache["leftover"].exists()
    for kept in ("base", "kernel", "ramdisk", "recent"):
        assert n.cached_image(refs[kept]).exists(), kept


def test_cleaner_second_run_has_nothing_to_free(aged_cache):
    n = aged_cache["node"]
    image_cache.clean_image_cache(n, {"max_age_s": DAY})
    again = image_cache.clean_image_cache(n, {"max_age_s": DAY})
    assert not again.changed and again.note == "nothing to free" and again.data["freed"] == []
    assert image_cache.plan_clean_image_cache(n, {"max_age_s": DAY}).noop


def test_base_is_freed_once_no_root_disk_uses_it(aged_cache):
    n, refs = aged_cache["node"], aged_cache["refs"]
    disks.delete_instance_files(n, {"host_id": aged_cache["disk_host"]})
    outcome = image_cache.clean_image_cache(n, {"max_age_s": DAY})
    assert n.cached_image(refs["base"]).name in outcome.data["freed"]
    assert not n.cached_image(refs["base"]).exists() and n.cached_image(refs["kernel"]).exists()


def test_a_cache_hit_makes_an_old_entry_recent(node_factory, sources):
    n = node_factory()
    image = ref(sources["qcow2"], "qcow2")
    cache(n, image)
    age(n.cached_image(image), 2 * DAY)
    assert not cache(n, image).changed
    assert not image_cache.clean_image_cache(n, {"max_age_s": DAY}).changed
    assert n.cached_image(image).exists()


def test_cleaner_on_an_empty_node_is_already_done(node_factory):
    n = node_factory()
    outcome = image_cache.clean_image_cache(n, {"max_age_s": DAY})
    assert not outcome.changed and outcome.before == {"files": 0, "bytes": 0}


def test_hypervisor_worker_queues_the_cleaner_on_its_own_queue():
    settings = replace(Settings.from_env().with_node(f"itest-{uuid.uuid4().hex[:6]}"), image_cache_max_age=7,
                       image_cache_clean_interval=120)
    redis, stop = redis_from_url(settings.redis_url), threading.Event()
    stop.set()
    hv = queue(redis, f"hv.{settings.node}")
    try:
        worker._clean_image_cache(redis, settings, stop)
        [job] = hv.get_jobs()
        assert job.func_name == JOB_FUNCTION and job.args == ["clean_image_cache", {"max_age_s": 7}]
        assert job.ttl == 120
    finally:
        hv.empty()
        hv.delete(delete_jobs=True)
