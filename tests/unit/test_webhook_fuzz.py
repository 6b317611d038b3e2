"""The webhook routes under property-based fuzzing (hypothesis): random values for their
signature, timestamp and token headers (absent, random, or right for the body), random
bodies (bytes, JSON, forms, the source's own shapes with random values, bodies over the
size limit) and content types. Whatever arrives, the answer is a 4xx at worst, never a
5xx. Then the inputs the fuzzing found, one regression each."""
import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from infra.db import migrate
from infra.db.images import ImageStore
from infra.settings import Settings
from tests.fakes import record_only
from tests.ticket_payloads import ALLOCATE_FIELDS, jira_issue, request_item
from webhooks import generic
from webhooks.chat import slack

SLACK_SECRET, MM_TOKEN, GENERIC_SECRET, JIRA_SECRET, SNOW = "slack-s", "mm-token", "generic-s", "jira-s", "snow:pa55"
VIEWERS = {"slack:UVIEW": {"role": "viewer", "projects": ["default"]},
           "mattermost:mmview": {"role": "viewer", "projects": ["default"]}}
KIB = 1 << 10
LIMITS = {"generic": 64 * KIB, "jira": 1 << 20, "servicenow": 1 << 20, "slack": 64 * KIB,
          "slack/interactive": 64 * KIB, "mattermost": 64 * KIB}
FUZZ = settings(max_examples=75, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])


@pytest.fixture(scope="module")
def hooks(tmp_path_factory):
    state = tmp_path_factory.mktemp("webhook-fuzz")
    conf = Settings.from_env({
        "HOSTFLOW_STATE_DIR": str(state), "HOSTFLOW_REDIS_URL": "redis://127.0.0.1:1/0",
        "HOSTFLOW_SLACK_SIGNING_SECRET": SLACK_SECRET, "HOSTFLOW_MATTERMOST_TOKEN": MM_TOKEN,
        "HOSTFLOW_WEBHOOK_SECRET_GENERIC": GENERIC_SECRET, "HOSTFLOW_WEBHOOK_SECRET_JIRA": JIRA_SECRET,
        "HOSTFLOW_WEBHOOK_SECRET_SERVICENOW": SNOW, "HOSTFLOW_CHAT_USERS": json.dumps(VIEWERS)})
    migrate.upgrade(conf.database_url)
    app = create_app(conf)
    svc = app.extensions["hostflow"]
    record_only(svc)  # what passes is recorded, never queued
    ImageStore(svc.operations.db).add(name="hostflow-test", disk_format="qcow2", status="active",
                                      os_hash_value="00", location="/nowhere")
    return app.test_client()


# -- values ------------------------------------------------------------------------------

def header_text(value: str) -> str:
    """As a server hands a header over: its UTF-8 bytes read as latin-1, one line."""
    return value.encode().decode("latin-1").replace("\r", "").replace("\n", "")


ODD = ["²", "١٧٠٠٠٠٠٠٠٠", "1" * 5000, "", " ", "-1", "1e3", "0x10", "v0=", "sha256=", "Basic ", "Bearer ",
       "Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe").decode(), "\x00", "9" * 40]
header_values = st.one_of(st.sampled_from(ODD), st.text(max_size=60)).map(header_text)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | st.sampled_from(ODD),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
json_objects = st.dictionaries(st.text(max_size=10), json_values, max_size=5)
FORM_KEYS = ["text", "user_id", "user_name", "channel_id", "response_url", "command", "token", "payload"]
FORM_VALUES = ["UVIEW", "mmview", MM_TOKEN, "hosts", "help", "status op-1", "resize web1 2c1g",
               "http://[::1", "http://127.0.0.1:9/r", "https://hooks.slack.com/x", "ftp://x", "%", "²"]
forms = st.dictionaries(st.sampled_from(FORM_KEYS) | st.text(max_size=6),
                        st.sampled_from(FORM_VALUES) | st.text(max_size=30), max_size=7)
click_shaped = st.fixed_dictionaries({
    "type": st.just("block_actions"),
    "actions": st.lists(st.fixed_dictionaries({"action_id": st.sampled_from(["approve", "reject"]),
                                               "value": st.sampled_from(["op-1", ""]) | st.text(max_size=40)}),
                        min_size=1, max_size=2),
    "user": st.fixed_dictionaries({"id": st.sampled_from(["UVIEW", "UNONE"]) | json_values,
                                   "username": json_values})})
clicks = click_shaped | st.fixed_dictionaries({"type": json_values, "actions": json_values, "user": json_values})


def form_body(fields: dict) -> bytes:
    return urlencode(fields).encode()


def shaped(route: str):
    """Bodies shaped as the source sends them, with random values where it matters."""
    if route == "generic":
        return st.fixed_dictionaries({"operation": st.sampled_from(["allocate_host", "reclaim_host"]) | json_values,
                                      "params": json_objects | json_values}).map(lambda d: json.dumps(d).encode())
    if route == "jira":
        fields = st.dictionaries(st.sampled_from(sorted(ALLOCATE_FIELDS)), json_values, max_size=6)
        return st.builds(lambda f: json.dumps(jira_issue({**ALLOCATE_FIELDS, **f})).encode(), fields)
    if route == "servicenow":
        names = ["host_name", "environment", "image", "vcpus", "ram_mb", "disk_gb", "business_names"]
        return st.builds(lambda v: json.dumps(request_item(v)).encode(),
                         st.dictionaries(st.sampled_from(names), json_values, max_size=7))
    if route == "slack/interactive":
        return clicks.map(lambda c: form_body({"payload": json.dumps(c)}))
    if route == "mattermost":  # mostly with the right token, so the command itself is reached
        return st.builds(lambda f, token: form_body({**f, "token": token}), forms, st.just(MM_TOKEN) | header_values)
    return forms.map(form_body)


def bodies(route: str):
    return st.one_of(
        shaped(route), shaped(route), shaped(route), shaped(route),
        st.binary(max_size=300),
        json_objects.map(lambda d: json.dumps(d).encode()),
        forms.map(form_body),
        st.just(b"x" * (LIMITS[route] + 1)),
    )


# -- each source's headers: absent, random, or right for the body ------------------------

def auth_headers(draw, route: str, body: bytes) -> dict:
    mode = lambda: draw(st.sampled_from(["valid", "valid", "random", "absent"]))  # noqa: E731
    headers = {}
    if route in {"slack", "slack/interactive"}:
        stamp = {"valid": str(int(time.time())), "random": draw(header_values), "absent": None}[mode()]
        if stamp is not None:
            headers[slack.TIMESTAMP_HEADER] = stamp
        given = mode()
        if given == "valid":
            headers[slack.SIGNATURE_HEADER] = slack.signature(SLACK_SECRET, (stamp or "").strip(), body)
        elif given == "random":
            headers[slack.SIGNATURE_HEADER] = draw(header_values)
    elif route in {"generic", "jira"}:
        name = "X-Hub-Signature-256" if route == "generic" else "X-Hub-Signature"
        secret = GENERIC_SECRET if route == "generic" else JIRA_SECRET
        signed = body
        if route == "generic":  # the signature covers "<timestamp>.<body>"
            stamp = {"valid": str(int(time.time())), "random": draw(header_values), "absent": None}[mode()]
            if stamp is not None:
                headers[generic.TIMESTAMP_HEADER] = stamp
            signed = (stamp or "").strip().encode("utf-8", "replace") + b"." + body
        given = mode()
        if given == "valid":
            headers[name] = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        elif given == "random":
            headers[name] = draw(header_values)
        for extra in ("X-Hostflow-Source", "X-Delivery-Id", "X-Atlassian-Webhook-Identifier", "Idempotency-Key"):
            if draw(st.booleans()):
                headers[extra] = draw(header_values)
    elif route == "servicenow":
        given = mode()
        if given == "valid":
            headers["Authorization"] = "Basic " + base64.b64encode(SNOW.encode()).decode()
        elif given == "random":
            headers["Authorization"] = draw(header_values)
    proper = "application/json" if route in {"generic", "jira", "servicenow"} else "application/x-www-form-urlencoded"
    others = [None, "application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; b=x"]
    content_type = draw(st.just(proper) | st.just(proper) | header_values | st.sampled_from(others))
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


@pytest.mark.parametrize("route", list(LIMITS))
def test_no_webhook_delivery_is_answered_with_a_server_error(hooks, route):
    @FUZZ
    @given(data=st.data())
    def delivery(data):
        body = data.draw(bodies(route), label="body")
        headers = auth_headers(data.draw, route, body)
        resp = hooks.post(f"/v1/webhooks/{route}", data=body, headers=headers)
        assert resp.status_code < 500, (headers, body[:300], resp.get_data(as_text=True)[:500])
        assert resp.is_json

    delivery()


# -- found by the fuzzing ---------------------------------------------------------------

def slack_headers(stamp: str, body: bytes) -> dict:
    return {slack.TIMESTAMP_HEADER: stamp, slack.SIGNATURE_HEADER: slack.signature(SLACK_SECRET, stamp, body),
            "Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("route", ["slack", "slack/interactive"])
@pytest.mark.parametrize("stamp", ["²", "1²", header_text("١٧٠٠٠٠٠٠٠٠"), "1" * 5000])  # "²".isdigit() is True
def test_a_slack_timestamp_that_is_not_ascii_digits_is_a_401(hooks, route, stamp):
    body = form_body({"text": "hosts", "user_id": "UVIEW"})
    resp = hooks.post(f"/v1/webhooks/{route}", data=body, headers=slack_headers(stamp, body))
    assert (resp.status_code, resp.json["error"]["code"]) == (401, "stale_timestamp")


@pytest.mark.parametrize("vcpus", ["²", "1" * 5000])
def test_a_servicenow_number_that_is_not_ascii_digits_is_a_422(hooks, vcpus):
    item = request_item({"host_name": "app1", "environment": "test", "image": "hostflow-test", "vcpus": vcpus,
                         "ram_mb": "256", "disk_gb": "1"})
    resp = hooks.post("/v1/webhooks/servicenow", json=item,
                      headers={"Authorization": "Basic " + base64.b64encode(SNOW.encode()).decode()})
    assert resp.status_code == 422 and "vcpus" in resp.json["error"]["message"]


def test_a_response_url_that_is_not_a_url_is_refused_as_not_allowed(hooks):
    body = form_body({"text": "hosts", "user_id": "UVIEW", "response_url": "http://[::1"})
    resp = hooks.post("/v1/webhooks/slack", data=body, headers=slack_headers(str(int(time.time())), body))
    assert (resp.status_code, resp.json["error"]["code"]) == (400, "response_url_not_allowed")
