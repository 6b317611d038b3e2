"""The dashboard's number fields take ASCII digits only: "²" passes str.isdigit() and
int() refuses it, as it refuses 5000 digits; either was a 500, each is now its field's
"must be a whole number" and nothing is recorded."""
import pytest

from infra.db.models import Host
from tests.unit.test_dashboard_access import csrf_of, log_in
from tests.unit.test_dashboard_forms import field_error, submit

NOT_ASCII_NUMBERS = ["²", "1" * 5000]


@pytest.fixture
def host(api):
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", project="default", fqdn="web1.test", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
    log_in(api, api.admin)
    return "h1"


def refused(resp, field: str) -> bool:
    return resp.status_code == 422 and "must be a whole number" in field_error(resp.get_data(as_text=True), field)


@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
def test_an_allocation_flavor_field_not_in_ascii_digits_is_the_fields_error(api, value):
    assert refused(submit(api, api.admin, vcpus=value, action="confirm"), "vcpus")
    assert api.svc.operations.list()[1] == 0


@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
def test_a_resize_flavor_field_not_in_ascii_digits_is_the_fields_error(api, host, value):
    csrf = csrf_of(api.get(f"/ui/hosts/{host}"))
    resp = api.post(f"/ui/hosts/{host}/resize", data={"vcpus": "2", "ram_mb": value, "disk_gb": "2",
                                                       "csrf_token": csrf, "action": "confirm"})
    assert refused(resp, "resize-ram_mb")
    assert api.svc.operations.list()[1] == 0


@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
def test_a_dns_ttl_not_in_ascii_digits_is_the_fields_error(api, host, value):
    csrf = csrf_of(api.get(f"/ui/hosts/{host}"))
    resp = api.post(f"/ui/hosts/{host}/request/dns", data={"fqdn": "www.test.cloud.internal", "type": "A",
                                                            "ttl": value, "csrf_token": csrf, "action": "confirm"})
    assert refused(resp, "dns-ttl")
    assert api.svc.operations.list()[1] == 0
