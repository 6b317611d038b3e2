"""Loopback stand-ins for the ticketing systems hostflow reports back to. They speak
the real calls (Jira REST `POST /rest/api/2/issue/{key}/comment`, ServiceNow Table
API `PATCH /api/now/table/{table}/{sys_id}`), check basic auth, answer as those
systems do, and record what they were sent. A chat's `response_url` is any
`/response/<id>` path: Slack and Mattermost take `{"response_type", "text"}` there."""
from __future__ import annotations

import base64
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JIRA_COMMENT = re.compile(r"^/rest/api/2/issue/([^/]+)/comment$")
SNOW_RECORD = re.compile(r"^/api/now/table/([^/]+)/([^/?]+)$")
CHAT_RESPONSE = re.compile(r"^/response/([^/?]+)$")


class StandIn:
    def __init__(self, port: int = 0, credentials: tuple[str, str] | None = None):
        self.port, self.credentials = port, credentials
        self.received: list[dict] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StandIn:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, predicate, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in list(self.received) if predicate(r)]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no matching request within {timeout}s; received {self.received}")

    def authorized(self, header: str | None) -> bool:
        if self.credentials is None:
            return True
        expected = "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()
        return header == expected


def _handler(stand_in: StandIn):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):  # noqa: N802 - http.server's naming
            self._serve()

        def do_PATCH(self):  # noqa: N802
            self._serve()

        def _serve(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
            if not stand_in.authorized(self.headers.get("Authorization")):
                return self._answer(401, {"errorMessages": ["You are not authenticated."]})
            record = {"method": self.command, "path": self.path, "body": body,
                      "authorization": self.headers.get("Authorization")}
            jira, snow = JIRA_COMMENT.match(self.path), SNOW_RECORD.match(self.path)
            if self.command == "POST" and jira:
                stand_in.received.append({**record, "issue": jira.group(1)})
                return self._answer(201, _jira_comment(self.headers.get("Host"), jira.group(1), body))
            chat = CHAT_RESPONSE.match(self.path)
            if self.command == "POST" and chat:
                stand_in.received.append({**record, "response": chat.group(1)})
                return self._answer(200, {"ok": True})
            if self.command == "PATCH" and snow:
                stand_in.received.append({**record, "table": snow.group(1), "sys_id": snow.group(2)})
                return self._answer(200, {"result": {"sys_id": snow.group(2), "work_notes": ""}})
            return self._answer(404, {"errorMessages": ["Issue does not exist"], "errors": {}})

        def _answer(self, status: int, body: dict):
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


def _jira_comment(host: str, key: str, body: dict) -> dict:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
    return {"self": f"http://{host}/rest/api/2/issue/{key}/comment/10000", "id": "10000",
            "author": {"accountId": "hostflow", "displayName": "hostflow"}, "body": body.get("body"),
            "created": stamp, "updated": stamp}
