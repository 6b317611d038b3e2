"""Power actions on a host (Nova's server actions): one operation each, recorded and
queued like every host operation, with the host taken `active` -> the action's busy
state in the transaction that records it.

Whether an action fits is read from the host's recorded power state (what its node last
reported): an action that does not fit answers 409 with that state, and changes
nothing. A host whose power state is not known yet is left to its node to judge."""
from __future__ import annotations

import uuid

from infra.db.models import Host
from infra.db.take import take
from infra.errors import Conflict
from operations.origin import Origin
from operations.record import replay_request, submit
from operations.services import Services

BUSY = {"start": "starting", "stop": "stopping", "reboot": "rebooting", "suspend": "suspending",
        "resume": "resuming", "pause": "pausing", "unpause": "unpausing"}
FITS = {
    "start": {"shutoff", "crashed"},
    "stop": {"running", "paused", "crashed"},
    "reboot": {"running"},
    "hard_reboot": {"running", "paused", "crashed", "shutoff"},
    "suspend": {"running", "paused"},
    "resume": {"suspended"},
    "pause": {"running"},
    "unpause": {"paused"},
}
KIND_OF = {action: f"{action}_host" for action in BUSY}
KINDS = {kind: BUSY[action] for action, kind in KIND_OF.items()}


def fitting_actions(host: dict) -> list[str]:
    """The actions the host's recorded power state fits (every one while it is unknown)."""
    state = host.get("power_state")
    return [a for a in BUSY if state is None or state in FITS[a]]


def params_of(body) -> dict:
    params = {"action": body.action}
    if body.force:
        params["force"] = True
    return params


def _fits(body) -> set[str]:
    return FITS["hard_reboot" if body.action == "reboot" and body.force else body.action]


def check_fits(host: dict, body) -> None:
    if host["state"] != "active":
        raise Conflict(f"host {host['id']} is {host['state']}; {body.action} needs it active", code="host_busy",
                       details={"state": host["state"], "power_state": host["power_state"]})
    fits = _fits(body)
    if host["power_state"] is not None and host["power_state"] not in fits:
        raise Conflict(f"cannot {body.action} host {host['id']} while it is {host['power_state']} "
                       f"(it must be {' or '.join(sorted(fits))})", code="wrong_power_state",
                       details={"power_state": host["power_state"], "action": body.action, "fits": sorted(fits)})


def refuse_suspended(host: dict, what: str) -> None:
    """A suspended host's saved memory belongs to the machine it was saved from: a
    rebuild, a resize, or a volume or share attached or detached would restore it onto
    another one."""
    if host.get("power_state") == "suspended":
        raise Conflict(f"cannot {what} host {host['id']} while it is suspended (resume or stop it first)",
                       code="wrong_power_state", details={"power_state": "suspended", "action": what})


def submit_action(svc: Services, host_id: str, body, origin: Origin) -> dict:
    kind, params = KIND_OF[body.action], params_of(body)
    replay = replay_request(svc, kind, origin.key, host_id=host_id, **params)
    if replay:
        return replay
    host = svc.hosts.get(host_id)
    check_fits(host, body)
    if svc.operations.active_for_host(host_id):
        raise Conflict(f"host {host_id} is busy with another operation", code="host_busy")
    return submit(svc, kind, origin.keyed(f"{body.action}:{host_id}:{uuid.uuid4()}"), {"host_id": host_id, **params},
                  before_insert=take(Host, host_id, {"active"}, BUSY[body.action], "host_busy"),
                  host_id=host_id)


def plan_action(svc: Services, host_id: str, body) -> dict:
    host = svc.hosts.get(host_id)
    check_fits(host, body)
    return svc.planner.power(host, body.action, bool(body.force))


def retake(svc: Services, op: dict) -> None:
    with svc.operations.db.session() as session:
        take(Host, op["host_id"], {"active"}, KINDS[op["kind"]], "host_busy")(session)

