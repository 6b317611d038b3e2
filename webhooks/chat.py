"""Chat-ops (Slack, Mattermost): who a chat user is to hostflow, the answers a slash
command gets, and the report of an operation's end posted to the command's `response_url`."""
from __future__ import annotations

import json
from dataclasses import dataclass

from webhooks.ticket import Report

ROLES = ("viewer", "operator", "admin")
READ_VERBS = frozenset({"status", "hosts", "help"})
# Verbs whose calls the chat runner can make; the others are CLI-only for now.
CHAT_VERBS = READ_VERBS | {"allocate", "reclaim"}


@dataclass(frozen=True)
class ChatUser:
    key: str  # "slack:U123", "mattermost:abc"
    name: str
    role: str
    projects: tuple[str, ...]  # "*": every project

    @property
    def may_change(self) -> bool:
        return self.role in {"operator", "admin"}

    def sees(self, project: str) -> bool:
        return "*" in self.projects or project in self.projects


def users_table(setting: str) -> dict[str, dict]:
    """HOSTFLOW_CHAT_USERS: `{"slack:U123": {"role": "operator", "projects": ["default"]}, ...}`."""
    table = json.loads(setting) if setting.strip() else {}
    bad = [key for key, entry in table.items() if entry.get("role") not in ROLES]
    if bad:
        raise ValueError(f"HOSTFLOW_CHAT_USERS: {bad[0]} has no role among {', '.join(ROLES)}")
    return table


def chat_user(settings, platform: str, user_id: str, user_name: str) -> ChatUser | None:
    key = f"{platform}:{user_id}"
    entry = users_table(settings.chat_users).get(key)
    if entry is None:
        return None
    return ChatUser(key, user_name or user_id, entry["role"], tuple(entry.get("projects") or ("default",)))


def ephemeral(text: str) -> dict:
    return {"response_type": "ephemeral", "text": text}


def refusal(platform: str, user_id: str) -> dict:
    return ephemeral(f"Sorry, your {platform} account ({user_id}) is not linked to hostflow, so I cannot run "
                     "commands for you. Ask an administrator to add you to HOSTFLOW_CHAT_USERS.")


def response(reply_to: dict, text: str, settings) -> Report:
    """The result, posted where the slash command said to (Slack and Mattermost take the same JSON)."""
    return Report("POST", reply_to["response_url"], {"response_type": "in_channel", "text": text})


def auth(settings) -> None:
    return None  # a response_url is its own credential
