"""Backups, networks, DNS names, volume and image pages: they render what the stores
hold, and an operator sees only its projects' volumes, backups and names (404 for
another project's volume, as the API answers)."""
import pytest

from infra.db.models import Backup, DnsRecord, Host, Volume
from infra.db.tokens import TokenStore
from tests.unit.test_dashboard_access import log_in


@pytest.fixture
def inventory(api):
    """A host, an attached volume with a backup, and a DNS name in each of two projects."""
    image_id = api.svc.images.get("img")["id"]
    with api.svc.operations.db.session() as s:
        for p in ("alpha", "beta"):
            s.add(Host(id=f"h-{p}", name=f"web-{p}", env="test", project=p, fqdn=f"web-{p}.test", state="active",
                       hypervisor="hv1", image_id=image_id, vcpus=1, ram_mb=256, disk_gb=1))
            s.add(Volume(id=f"v-{p}", name=f"data-{p}", env="test", project=p, size_gb=3, state="in-use",
                         hypervisor="hv1", host_id=f"h-{p}", target="vdb"))
            s.add(Backup(id=f"b-{p}", name=f"nightly-{p}", volume_id=f"v-{p}", state="available", size_gb=3,
                         chunk_size=4, bucket="backups", manifest=f"{p}.json"))
            s.add(DnsRecord(fqdn=f"www-{p}.test.cloud.internal", type="CNAME", value=f"web-{p}.test", ttl=300,
                            host_id=f"h-{p}", kind="business", state="active"))
    api.alpha = TokenStore(api.svc.operations.db).create("op-alpha", "operator", ["alpha"])
    return api


def text(api, path: str) -> str:
    resp = api.get(path)
    assert resp.status_code == 200, path
    return resp.get_data(as_text=True)


def test_a_volume_page_shows_its_host_backups_and_operations(inventory):
    api = inventory
    api.svc.operations.create("extend_volume", "k-extend", {"size_gb": 3}, volume_id="v-alpha", requester="admin")
    log_in(api, api.admin)
    page = text(api, "/ui/volumes/v-alpha")
    assert "data-alpha" in page and "3 GiB" in page
    assert 'href="/ui/hosts/h-alpha">web-alpha</a> as vdb' in page
    assert "nightly-alpha" in page and "s3://backups/alpha.json" in page
    assert "extend_volume" in page


def test_another_projects_volume_answers_404_like_an_unknown_one(inventory):
    api = inventory
    log_in(api, api.alpha)
    assert api.get("/ui/volumes/v-alpha").status_code == 200
    assert api.get("/ui/volumes/v-beta").status_code == 404
    assert api.get("/ui/volumes/v-none").status_code == 404


def test_an_operator_lists_only_its_projects_backups(inventory):
    api = inventory
    log_in(api, api.alpha)
    page = text(api, "/ui/backups")
    assert "nightly-alpha" in page and "nightly-beta" not in page
    assert 'href="/ui/volumes/v-alpha"' in page


def test_an_operator_lists_only_its_projects_dns_names(inventory):
    api = inventory
    log_in(api, api.alpha)
    page = text(api, "/ui/dns")
    assert "www-alpha.test.cloud.internal" in page and "www-beta" not in page
    log_in(api, api.viewer)
    assert "www-beta.test.cloud.internal" in text(api, "/ui/dns")


def test_networks_are_listed_and_each_has_a_page(api):
    api.svc.networks.create({"name": "storage", "traffic_class": "storage", "env": "test",
                             "bridge": "hfbr-storage", "segmentation": "vlan", "segment_id": 42,
                             "underlay": "eth1", "peers": [], "subnet": "10.9.0.0/24", "gateway": None,
                             "reserved": ["10.9.0.1-10.9.0.9"], "mtu": 9000})
    log_in(api, api.viewer)
    listing = text(api, "/ui/networks")
    assert 'href="/ui/networks/storage"' in listing and "10.9.0.0/24" in listing
    page = text(api, "/ui/networks/storage")
    assert "vlan (id 42)" in page and "10.9.0.1-10.9.0.9" in page and "9000" in page
    assert api.get("/ui/networks/nowhere").status_code == 404


def test_an_image_page_shows_its_facts_and_only_the_hosts_the_token_may_see(inventory):
    api = inventory
    image_id = api.svc.images.get("img")["id"]
    api.svc.images.edit(image_id, properties={"os_distro": "debian"})
    log_in(api, api.alpha)
    assert f'href="/ui/images/{image_id}"' in text(api, "/ui/images")
    page = text(api, f"/ui/images/{image_id}")
    assert "qcow2" in page and "os_distro" in page and "debian" in page
    assert "web-alpha" in page and "web-beta" not in page
    assert api.get("/ui/images/no-such-image").status_code == 404
