"""The session keeps the token's SHA-256, never the token: the same hash the token
store keeps, looked up on every request so a revoked token logs the session out."""
from __future__ import annotations

from sqlalchemy import select

from infra.db.models import ApiToken


def identity_for_hash(db, token_hash: str | None) -> dict | None:
    if not token_hash:
        return None
    with db.session() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None)))
        return None if row is None else {"id": row.id, "name": row.name, "role": row.role, "projects": row.projects}
