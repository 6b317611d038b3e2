"""API tokens: only their SHA-256 is stored; the secret is shown once, at creation."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from infra.db.engine import Database
from infra.db.models import ApiToken, iso, utcnow
from infra.errors import NotFound

ROLES = ("admin", "operator", "viewer")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, db: Database):
        self.db = db

    def create(self, name: str, role: str, projects: list[str] | None = None) -> str:
        """Returns the token; only its hash is stored."""
        return self.issue(name, role, projects)[0]

    def issue(self, name: str, role: str, projects: list[str] | None = None) -> tuple[str, dict]:
        """(the secret, the record without it)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role}")
        token = "hf_" + secrets.token_urlsafe(32)
        with self.db.session() as s:
            row = ApiToken(name=name, token_hash=hash_token(token), role=role, projects=projects or [])
            s.add(row)
            s.flush()
            return token, view(row)

    def lookup(self, token: str) -> dict | None:
        """The identity of a live token; None for an unknown or revoked one."""
        with self.db.reading() as s:
            row = s.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                                                  ApiToken.revoked_at.is_(None)))
            if row is None:
                return None
            return {"id": row.id, "name": row.name, "role": row.role, "projects": row.projects}

    def list(self) -> list[dict]:
        with self.db.reading() as s:
            return [view(r) for r in s.scalars(select(ApiToken).order_by(ApiToken.created_at))]

    def revoke(self, token_id: str) -> dict:
        """Idempotent: revoking a revoked token keeps its first revocation time."""
        with self.db.session() as s:
            s.execute(update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
                      .values(revoked_at=utcnow()))
            row = s.get(ApiToken, token_id)
            if row is None:
                raise NotFound(f"token {token_id} not found", code="token_not_found")
            return view(row)


def view(t: ApiToken) -> dict:
    return {"id": t.id, "name": t.name, "role": t.role, "projects": t.projects,
            "created": iso(t.created_at), "revoked": iso(t.revoked_at)}


def identity_for_hash(db: Database, token_hash: str | None) -> dict | None:
    """The identity of a live token by its SHA-256 (what a dashboard session keeps,
    looked up on every request so a revoked token logs the session out)."""
    if not token_hash:
        return None
    with db.session() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None)))
        return None if row is None else {"id": row.id, "name": row.name, "role": row.role, "projects": row.projects}
