"""Who a chat user (Slack, Mattermost) is to hostflow: a role and the projects it sees,
from HOSTFLOW_CHAT_USERS."""
from __future__ import annotations

import json
from dataclasses import dataclass

from webhooks.chat import replies

ROLES = ("viewer", "operator", "admin")


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


def refusal(platform: str, user_id: str) -> dict:
    return replies.ephemeral(f"Sorry, your {platform} account ({user_id}) is not linked to hostflow, so I cannot run "
                     "commands for you. Ask an administrator to add you to HOSTFLOW_CHAT_USERS.")


