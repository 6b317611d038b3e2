"""A guest that never comes up: an image whose kernel panics at boot (the test kernel
and ramdisk, told to run an init that is not there and to mount a root that does not
exist) ends its allocation `guest_not_ready` once its own boot timeout has passed, with
the console's last lines in the error's details, and is rolled back: nothing of the
host is left."""
import pytest

from tests.e2e.conftest import NOTHING, leftovers, unique_name
from tests.e2e.test_images import upload

PANIC_CMDLINE = "console=ttyS0 rdinit=/hostflow-no-such-init root=/dev/hostflow-no-such-disk panic=0"


@pytest.fixture(scope="module")
def panicking_image(api, tmp_path_factory):
    """An AMI whose root filesystem the kernel never reaches: one blank MiB."""
    root = tmp_path_factory.mktemp("panic") / "root.img"
    root.write_bytes(bytes(1 << 20))
    found = api.get("/v1/images?name=hostflow-test&status=active").json()["images"]
    test = max(found, key=lambda image: image["created_at"])  # a rebuilt test image is a newer record
    body = {"name": unique_name("e2e-panic"), "disk_format": "ami", "container_format": "ami",
            "kernel_id": test["kernel_id"], "ramdisk_id": test["ramdisk_id"],
            "properties": {"os_command_line": PANIC_CMDLINE, "hostflow_readiness": "serial",
                           "hostflow_boot_timeout": "30"}}
    resp = api.post("/v1/images", body)
    assert resp.status_code == 201, resp.text
    image = resp.json()["image"]
    assert upload(api, image["id"], root).status_code == 200
    yield image
    api.delete(f"/v1/images/{image['id']}")


@pytest.fixture(scope="module")
def failed(api, panicking_image):
    accepted = api.allocate(unique_name("e2e-panic"), image=panicking_image["id"])
    return {"op": api.wait(accepted["operation"]["id"], timeout=300), "host_id": accepted["host"]["id"]}


def test_a_guest_whose_kernel_panics_is_not_ready_and_the_console_says_why(failed):
    op = failed["op"]
    assert op["error"]["code"] == "guest_not_ready", op["error"]
    wait = next(s for s in op["steps"] if s["name"] == "wait_guest_up")
    tail = wait["error"]["details"]["console_tail"]
    assert "Kernel panic" in tail and "Unable to mount root fs" in tail


def test_a_guest_that_is_not_ready_is_rolled_back_leaving_nothing(api, failed, settings, libvirt):
    assert failed["op"]["state"] == "rolled_back"
    assert api.get(f"/v1/hosts/{failed['host_id']}").json()["host"]["state"] == "failed"
    assert leftovers(settings, libvirt, failed["host_id"]) == NOTHING
