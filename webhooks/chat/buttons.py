"""Slack's approval buttons: the blocks that carry them, and reading the click back."""
from __future__ import annotations

import json

from infra.errors import Invalid

ACTIONS = {"approve": "approved", "reject": "rejected"}


def approval_blocks(op: dict) -> list[dict]:
    """A section naming the operation and why it waits, with Approve and Reject buttons."""
    reason = (op.get("approval") or {}).get("reason") or "the approval policy asks for it"
    return [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f"`{op['kind']}` operation `{op['id']}` awaits approval: {reason}"}},
        {"type": "actions", "block_id": f"approval:{op['id']}", "elements": [
            {"type": "button", "action_id": "approve", "style": "primary", "value": op["id"],
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": "reject", "style": "danger", "value": op["id"],
             "text": {"type": "plain_text", "text": "Reject"}},
        ]},
    ]


def click(form_payload: str | None) -> tuple[str, str, dict]:
    """(decision, operation id, user) from a block_actions payload; Invalid if it is not one."""
    try:
        payload = json.loads(form_payload or "")
        action = payload["actions"][0]
        user = payload["user"]
        decision, op_id = ACTIONS[action["action_id"]], action["value"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise Invalid("payload: not a Slack block_actions payload with an approve or reject button",
                      code="bad_interactive_payload") from exc
    if payload.get("type") != "block_actions" or not isinstance(op_id, str) or not isinstance(user, dict):
        raise Invalid("payload: not a Slack block_actions payload", code="bad_interactive_payload")
    return decision, op_id, user
