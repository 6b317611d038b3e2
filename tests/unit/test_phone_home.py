"""Readiness by phone-home: a guest posts to the endpoint at the end of every boot
(workers.phone_home records it, functions.cloud_init installs the script), and the wait
for it counts a post of this boot only, from a leased address, naming the host."""
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from flows.kinds.hosts import _readiness
from functions import cloud_init, compute, readiness
from functions.node import Node
from infra import phone_home
from infra.errors import GuestNotReady
from infra.settings import Settings
from workers.phone_home import serve

REQ = {"host_id": "h1", "hostname": "web1", "addresses": ["10.0.0.5/24"], "readiness": "phone_home",
       "timeout": 0.05}


@pytest.fixture
def endpoint(tmp_path):
    server = serve("127.0.0.1:0", tmp_path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()


def post(url: str, fields: dict | bytes) -> int:
    body = fields if isinstance(fields, bytes) else urllib.parse.urlencode(fields).encode()
    try:
        return urllib.request.urlopen(url, body, timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_post_is_recorded_with_the_address_it_came_from(endpoint):
    url, directory = endpoint
    assert post(f"{url}/phone-home/h1", {"hostname": "web1", "boot_id": "b1", "colour": "red"}) == 200
    record = phone_home.read(directory, "h1")
    assert {k: record[k] for k in ("host_id", "address", "hostname", "boot_id")} == \
        {"host_id": "h1", "address": "127.0.0.1", "hostname": "web1", "boot_id": "b1"}
    assert "colour" not in record and abs(record["received"] - time.time()) < 5


@pytest.mark.parametrize("path, body, status", [
    ("/phone-home/..%2Fetc", b"hostname=x", 404), ("/phone-home/a/b", b"", 404), ("/elsewhere/h1", b"", 404),
    ("/phone-home/h1", b"x" * (20 << 10), 413)])
def test_anything_else_is_refused_and_nothing_is_written(endpoint, path, body, status):
    url, directory = endpoint
    assert post(url + path, body) == status
    assert list(directory.iterdir()) == []


class Domain:
    def __init__(self, started: float):
        self.started = started

    def started_at(self, name):
        return self.started

    def state(self, name):
        return "running"


class Records:
    def __init__(self, record: dict | None):
        self.record = record

    def read(self, host_id):
        return self.record


class Console:
    def tail(self, log, lines=50):
        return "login:"


def node(record: dict | None, started: float) -> Node:
    return Node("n", Path("/n"), Domain(started), None, None, "qemu", "s", disk_images=None, consoles=Console(),
                config_drives=None, phone_homes=Records(record))


def test_a_post_of_this_boot_from_a_leased_address_naming_the_host_is_up():
    record = {"host_id": "h1", "address": "10.0.0.5", "hostname": "web1.test.cloud.internal", "received": 200.0}
    outcome = compute.wait_guest_up(node(record, started=100.0), REQ)
    assert outcome.note == "the guest phoned home"
    assert outcome.data["guest"] == {"hostname": "web1", "readiness": "phone_home",
                                     "addresses": [{"cidr": "10.0.0.5/24"}]}


@pytest.mark.parametrize("record", [
    None,
    {"address": "10.0.0.5", "hostname": "web1", "received": 50.0},  # before the domain started: another boot
    {"address": "10.0.0.9", "hostname": "web1", "received": 200.0},  # not the host's address
    {"address": "10.0.0.5", "hostname": "web2", "received": 200.0},  # another name
])
def test_anything_else_is_not_ready(monkeypatch, record):
    monkeypatch.setattr(compute.time, "sleep", lambda _s: None)
    with pytest.raises(GuestNotReady, match="did not phone home"):
        compute.wait_guest_up(node(record, started=100.0), REQ)


def test_the_vendor_data_installs_a_per_boot_script_that_posts_to_the_hosts_url():
    drive = cloud_init.contents({"host_id": "h1", "hostname": "web1", "nics": [],
                                 "phone_home_url": "http://10.213.0.1:8775/phone-home/h1"})
    [script] = yaml.safe_load(drive["vendor-data"])["write_files"]
    assert script["path"].startswith("/var/lib/cloud/scripts/per-boot/") and script["permissions"] == "0755"
    compile(script["content"], "phone-home", "exec")
    assert "'http://10.213.0.1:8775/phone-home/h1'" in script["content"]
    assert "write_files" not in yaml.safe_load(cloud_init.contents({"host_id": "h1", "hostname": "web1", "nics": [],
                                                                    "fqdn": "web1.x"})["vendor-data"])


def test_an_image_asks_for_it_and_gets_the_endpoint_or_none_without_one():
    image = {"properties": {"hostflow_readiness": "phone_home"}}
    assert _readiness(image, Settings(phone_home_url="http://10.213.0.1:8775/")) == \
        {"readiness": "phone_home", "phone_home_url": "http://10.213.0.1:8775"}
    assert _readiness(image, Settings(phone_home_url="")) == {"readiness": "none"}


def test_nothing_inside_a_phoned_home_guest_can_be_checked():
    assert [readiness.in_guest(h) for h in ("agent", "serial", "phone_home", "none")] == \
        ["agent", "serial", "none", "none"]
