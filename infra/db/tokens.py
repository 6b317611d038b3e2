from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from infra.db.engine import Database
from infra.db.models import ApiToken

ROLES = ("admin", "operator", "viewer")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, db: Database):
        self.db = db

    def create(self, name: str, role: str, projects: list[str] | None = None) -> str:
        """Returns the token; only its hash is stored."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role}")
        token = "hf_" + secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(ApiToken(name=name, token_hash=hash_token(token), role=role, projects=projects or []))
        return token

    def lookup(self, token: str) -> dict | None:
        with self.db.session() as s:
            row = s.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
            if row is None:
                return None
            return {"id": row.id, "name": row.name, "role": row.role, "projects": row.projects}
