"""The dashboard in a real browser (Debian's Chromium, driven by Playwright): log in,
allocate through the form after its dry-run plan, approve it (prod allocations wait for
approval), watch the operation finish without reloading, find the host in the table,
reclaim it with its name typed in."""
import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import REPO, unique_name

ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
OPERATION_TIMEOUT_MS = 120_000  # the shared stack's flow runners may be busy


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)  # a dry-run plan waits for the hypervisor workers, which other tests share
    yield page
    context.close()


@pytest.fixture(scope="module")
def viewer_token(api):
    resp = api.post("/v1/tokens", {"name": f"e2e-dash-viewer-{uuid.uuid4().hex[:6]}", "role": "viewer"})
    assert resp.status_code == 201, resp.text
    token = resp.json()["token"]
    yield token["secret"]
    api.delete(f"/v1/tokens/{token['id']}")


@pytest.fixture(scope="module")
def approver_token(api):
    """A second admin: nobody approves their own request, and the stack's admin token asks."""
    resp = api.post("/v1/tokens", {"name": "e2e-dash-approver", "role": "admin"})
    assert resp.status_code == 201, resp.text
    token = resp.json()["token"]
    yield token["secret"]
    api.delete(f"/v1/tokens/{token['id']}")


def ui(path: str = "") -> str:
    return os.environ["HOSTFLOW_API_URL"].rstrip("/") + "/ui/" + path


def log_in(page, token: str) -> None:
    page.goto(ui("login"))
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Log in").click()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"dashboard-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_bad_token_is_refused(page):
    log_in(page, "hf_not-a-token")
    expect(page.get_by_role("alert")).to_contain_text("unknown or revoked")
    page.goto(ui())
    expect(page).to_have_url(re.compile(r"/ui/login"))


def test_a_viewer_sees_the_inventory_but_no_forms(page, viewer_token):
    log_in(page, viewer_token)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.get_by_role("link", name="Hosts", exact=True).click()
    expect(page.get_by_role("table")).to_be_visible()
    assert page.get_by_role("link", name="Allocate a host").count() == 0
    assert page.locator("form[method=post]").count() == 1  # only "Log out"
    for link in ("Volumes", "Images", "Backups", "DNS names", "Networks"):
        page.get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", name=link, exact=True)).to_be_visible()
    page.get_by_role("link", name="vm", exact=True).click()
    expect(page.get_by_role("heading", name="Network vm")).to_be_visible()
    page.goto(ui("hosts/new"))
    expect(page.get_by_role("heading", name="403: forbidden")).to_be_visible()


def test_allocate_watch_and_reclaim_through_the_forms(page, api, approver_token):
    name = unique_name("e2e-dash")
    log_in(page, os.environ["HOSTFLOW_TOKEN"])
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    shot(page, "overview")

    page.get_by_role("link", name="Allocate a host").first.click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Environment").fill("prod")  # the stack's policy: prod allocations need approval
    page.get_by_label("Image").fill("hostflow-test")
    page.get_by_label("vCPUs").fill("1")
    page.get_by_label("RAM (MiB)").fill("256")
    page.get_by_label("Disk (GiB)").fill("1")
    page.get_by_role("button", name="Show the plan").click()
    expect(page.get_by_role("heading", name="Dry-run plan")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("claim_capacity"))).to_be_visible()
    assert not [h for h in api.get("/v1/hosts").json()["hosts"] if h["name"] == name]  # a plan changes nothing
    page.get_by_role("button", name="Confirm and allocate").click()

    expect(page).to_have_url(re.compile(r"/ui/operations/[0-9a-f-]+$"))
    expect(page.locator("#op-state")).to_have_text("awaiting_approval")
    expect(page.get_by_role("region", name="Approval")).to_contain_text("allocations in environment prod")
    shot(page, "approval")
    url = page.url
    log_in(page, approver_token)
    page.goto(url)
    page.get_by_label("Note (optional)").fill("e2e dashboard")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("region", name="Approval")).to_contain_text("by e2e-dash-approver: e2e dashboard")
    expect(page.locator("#op-state")).to_have_text("succeeded", timeout=OPERATION_TIMEOUT_MS)
    assert page.url == url  # advanced by the live script, no navigation
    expect(page.get_by_role("row", name=re.compile("wait_guest_up"))).to_contain_text("hv")
    shot(page, "operation")

    page.get_by_role("link", name="Hosts", exact=True).click()
    page.get_by_label("Search").fill(name)
    page.get_by_role("button", name="Filter").click()
    row = page.get_by_role("row", name=re.compile(name))
    expect(row).to_contain_text("active")
    row.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()
    host_id = page.url.rsplit("/", 1)[1]
    shot(page, "host")

    page.get_by_label(f"Type the host's name, {name}, to confirm").fill(name + "-typo")
    page.get_by_role("button", name=f"Reclaim {name}").click()
    expect(page.locator("#confirm_name-error")).to_contain_text("type the host's name")
    assert api.get(f"/v1/hosts/{host_id}").json()["host"]["state"] == "active"

    page.get_by_label(f"Type the host's name, {name}, to confirm").fill(name)
    page.get_by_role("button", name=f"Reclaim {name}").click()
    expect(page.get_by_role("heading", name="Dry-run plan")).to_be_visible()
    assert api.get(f"/v1/hosts/{host_id}").json()["host"]["state"] == "active"
    page.get_by_role("button", name=f"Confirm: Reclaim {name}").click()
    expect(page.get_by_role("heading", name="reclaim host")).to_be_visible()
    expect(page.locator("#op-state")).to_have_text("succeeded", timeout=OPERATION_TIMEOUT_MS)
    assert api.get(f"/v1/hosts/{host_id}").json()["host"]["state"] == "deleted"


def test_the_host_page_attaches_and_detaches_a_volume_registers_a_name_and_resizes(page, api, settings):
    host_id = api.allocate(unique_name("e2e-dashvol"))["host"]["id"]
    op = api.wait(api.get(f"/v1/hosts/{host_id}").json()["host"]["created_operation"])
    assert op["state"] == "succeeded", op["error"]
    host = api.get(f"/v1/hosts/{host_id}").json()["host"]
    volume_name = unique_name("e2e-dashvol")
    resp = api.post("/v1/volumes", {"name": volume_name, "size_gb": 1, "env": "test",
                                    "hypervisor": host["hypervisor"]}, key=str(uuid.uuid4()))
    assert resp.status_code == 202, resp.text
    assert api.wait(resp.json()["operation"]["id"])["state"] == "succeeded"
    volume_id = resp.json()["volume"]["id"]
    try:
        log_in(page, os.environ["HOSTFLOW_TOKEN"])
        page.goto(ui(f"hosts/{host_id}"))
        page.get_by_label("Attach a volume").select_option(label=f"{volume_name} (1 GiB)")
        page.get_by_role("button", name="Show the plan").click()
        expect(page.get_by_role("heading", name="Dry-run plan")).to_be_visible()
        page.get_by_role("button", name=re.compile("Confirm: Attach")).click()
        expect(page.locator("#op-state")).to_have_text("succeeded", timeout=OPERATION_TIMEOUT_MS)
        assert api.get(f"/v1/volumes/{volume_id}").json()["volume"]["host_id"] == host_id

        page.get_by_role("link", name=host["name"]).click()
        page.get_by_role("button", name=f"Detach {volume_name}…").click()
        page.get_by_role("button", name=re.compile("Confirm: Detach")).click()
        expect(page.locator("#op-state")).to_have_text("succeeded", timeout=OPERATION_TIMEOUT_MS)
        assert api.get(f"/v1/volumes/{volume_id}").json()["volume"]["state"] == "available"

        alias = f"{unique_name('e2e-www')}.test.{settings.dns_zone}"
        page.get_by_role("link", name=host["name"]).click()
        page.get_by_label("Name (FQDN)").fill(alias)
        page.get_by_label("Record type").select_option("CNAME")
        page.get_by_role("button", name="Review DNS name…").click()
        expect(page.get_by_role("heading", name="The request")).to_be_visible()
        page.get_by_role("button", name=re.compile("Confirm: Register a DNS name")).click()
        expect(page.locator("#op-state")).to_have_text("succeeded", timeout=OPERATION_TIMEOUT_MS)
        page.get_by_role("link", name=host["name"]).click()
        expect(page.get_by_role("row", name=re.compile(re.escape(alias)))).to_contain_text(host["fqdn"])

        page.get_by_label("vCPUs").fill("2")
        page.get_by_role("button", name="Review resize…").click()
        expect(page.get_by_role("term").filter(has_text="vCPUs")).to_be_visible()
        expect(page.locator("dl.facts")).to_contain_text("1 → 2")
        page.get_by_role("button", name=re.compile("Confirm: Resize")).click()
        expect(page.locator("#op-state")).to_have_text("succeeded", timeout=OPERATION_TIMEOUT_MS)
        page.get_by_role("link", name=host["name"]).click()
        expect(page.get_by_role("heading", name=re.compile(host["name"]))).to_contain_text("verify_resize")
        page.get_by_role("button", name="Confirm the resize").click()
        expect(page.locator("#op-state")).to_have_text("succeeded", timeout=OPERATION_TIMEOUT_MS)
        assert api.get(f"/v1/hosts/{host_id}").json()["host"]["flavor"]["vcpus"] == 2
    finally:
        reclaim(api, host_id)
        api.delete(f"/v1/volumes/{volume_id}")


def reclaim(api, host_id: str) -> None:
    """Reclaimed through the API, after whatever operation still holds the host."""
    resp = api.delete(f"/v1/hosts/{host_id}")
    if resp.status_code == 409:
        api.wait(resp.json()["error"]["details"]["operation"])
        resp = api.delete(f"/v1/hosts/{host_id}")
    assert resp.status_code == 202, resp.text
    api.wait(resp.json()["operation"]["id"])
