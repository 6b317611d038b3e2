"""Console sessions relayed through Redis between the API and a hypervisor node (the
API never reaches a node's libvirt): the API asks for a session on the node's `open`
list; the node pushes the console's output onto the session's `out` list and writes
to the console what comes on its `in` list; either side ends it with the `end` key.
Every key expires: a side that vanished leaves nothing behind for long."""
from __future__ import annotations

import hashlib
import json
import secrets

from redis import Redis
from redis.exceptions import RedisError

from infra.queue import QueueError

PREFIX = "hostflow:console"
TTL_S = 3600
MAX_INPUTS = 64


def open_key(node: str) -> str:
    return f"{PREFIX}:{node}:open"


def session_key(node: str, session: str, part: str) -> str:
    return f"{PREFIX}:{node}:{session}:{part}"


class _Side:
    def __init__(self, redis: Redis, node: str):
        self.redis, self.node = redis, node

    def _key(self, session: str, part: str) -> str:
        return session_key(self.node, session, part)

    def _push(self, key: str, data: bytes | str) -> None:
        try:
            pipe = self.redis.pipeline()
            pipe.rpush(key, data)
            pipe.expire(key, TTL_S)
            pipe.execute()
        except RedisError as exc:
            raise QueueError(f"redis: {exc}") from exc

    def end(self, session: str) -> None:
        try:
            self.redis.set(self._key(session, "end"), b"1", ex=TTL_S)
        except RedisError as exc:
            raise QueueError(f"redis: {exc}") from exc

    def ended(self, session: str) -> bool:
        try:
            return bool(self.redis.exists(self._key(session, "end")))
        except RedisError as exc:
            raise QueueError(f"redis: {exc}") from exc


class ApiSide(_Side):
    def open(self, session: str, host_id: str, domain: str) -> None:
        self._push(open_key(self.node), json.dumps({"session": session, "host_id": host_id, "domain": domain}))

    def send(self, session: str, data: bytes) -> None:
        self._push(self._key(session, "in"), data)

    def receive(self, session: str, timeout: float) -> bytes | None:
        """The node's next output (b"" when none came within `timeout`); None once ended."""
        try:
            got = self.redis.blpop([self._key(session, "out")], timeout=timeout)
        except RedisError as exc:
            raise QueueError(f"redis: {exc}") from exc
        if got is not None:
            return got[1]
        return None if self.ended(session) else b""


class NodeSide(_Side):
    def next_request(self, timeout: float) -> dict | None:
        try:
            got = self.redis.blpop([open_key(self.node)], timeout=timeout)
        except RedisError as exc:
            raise QueueError(f"redis: {exc}") from exc
        return None if got is None else json.loads(got[1])

    def send(self, session: str, data: bytes) -> None:
        self._push(self._key(session, "out"), data)

    def received(self, session: str) -> list[bytes]:
        try:
            return self.redis.lpop(self._key(session, "in"), MAX_INPUTS) or []
        except RedisError as exc:
            raise QueueError(f"redis: {exc}") from exc


TOKEN_TTL_S = 60


def _token_key(token: str) -> str:
    return f"{PREFIX}:token:{hashlib.sha256(token.encode()).hexdigest()}"


def issue_token(redis: Redis, grant: dict) -> str:
    """A single-use token for `grant`, valid TOKEN_TTL_S seconds; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    try:
        redis.set(_token_key(token), json.dumps(grant), ex=TOKEN_TTL_S)
    except RedisError as exc:
        raise QueueError(f"redis: {exc}") from exc
    return token


def take_token(redis: Redis, token: str) -> dict | None:
    """The grant of a token not yet used nor expired, which it uses up; else None."""
    try:
        raw = redis.getdel(_token_key(token))
    except RedisError as exc:
        raise QueueError(f"redis: {exc}") from exc
    return None if raw is None else json.loads(raw)
