"""The console relay through the stack's real Redis: a token works once, and bytes pass
both ways between the API's side and a node's side until either ends the session."""
import threading
import uuid

import pytest

from infra import queue as rq_queue
from infra.console_relay import ApiSide, NodeSide, issue_token, take_token
from infra.settings import Settings
from workers.console_relay import pump


@pytest.fixture
def redis():
    client = rq_queue.redis_from_url(Settings.from_env().redis_url)
    yield client
    client.close()


class EchoConsole:
    """A guest that answers every line it is sent with `echo: <line>`."""

    def __init__(self):
        self.pending, self.lock = [b"login: "], threading.Lock()

    def read(self):
        with self.lock:
            return self.pending.pop(0) if self.pending else b""

    def write(self, data):
        with self.lock:
            self.pending.append(b"echo: " + data)


def test_a_console_token_is_used_once(redis):
    token = issue_token(redis, {"host_id": "h1", "requester": "me", "source": "api"})
    assert take_token(redis, token) == {"host_id": "h1", "requester": "me", "source": "api"}
    assert take_token(redis, token) is None
    assert take_token(redis, "made-up") is None


def test_bytes_pass_both_ways_until_the_api_side_ends_the_session(redis):
    node, session = f"it{uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    api, stop = ApiSide(redis, node), threading.Event()
    ended = []
    worker = threading.Thread(target=lambda: ended.append(pump(NodeSide(redis, node), session, EchoConsole(), stop)))
    worker.start()
    assert api.receive(session, timeout=5) == b"login: "
    api.send(session, b"root\r")
    assert api.receive(session, timeout=5) == b"echo: root\r"
    api.end(session)
    worker.join(5)
    assert ended == ["closed by the API"]
    assert api.receive(session, timeout=0.1) is None
