"""Reports go to exactly the URL recorded: a redirect is a failed delivery, never followed."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from infra.http_report import DeliveryFailed, send


class Server:
    """A loopback server answering every request with `status` (and `location`), recording the paths."""

    def __init__(self, status: int, location: str | None = None):
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.hits.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


def test_a_redirect_is_not_followed_and_the_delivery_fails():
    elsewhere = Server(200)
    redirector = Server(307, location=f"{elsewhere.url}/stolen")
    try:
        with pytest.raises(DeliveryFailed) as failed:
            send("POST", f"{redirector.url}/rest/api/2/issue/OPS-1/comment", {"body": "x"}, ("u", "p"), 5)
    finally:
        redirector.stop()
        elsewhere.stop()
    assert "HTTP 307" in failed.value.message
    assert redirector.hits == ["/rest/api/2/issue/OPS-1/comment"] and elsewhere.hits == []


SECRET_PATH = "/actions/T0001/2222/s3cr3t-capability"


def test_a_refused_delivery_names_the_host_not_the_response_urls_path():
    refuser = Server(404)
    try:
        with pytest.raises(DeliveryFailed) as failed:
            send("POST", f"{refuser.url}{SECRET_PATH}", {"text": "x"}, None, 5)
    finally:
        refuser.stop()
    assert "HTTP 404" in failed.value.message and "127.0.0.1" in failed.value.message
    assert "s3cr3t" not in failed.value.message


def test_an_unreachable_response_url_is_not_shown_in_the_failure():
    closed = Server(200)
    closed.stop()
    closed.httpd.server_close()
    with pytest.raises(DeliveryFailed) as failed:
        send("POST", f"{closed.url}{SECRET_PATH}?token=abc", {"text": "x"}, None, 2)
    assert "ConnectionError" in failed.value.message
    assert "s3cr3t" not in failed.value.message and "token=abc" not in failed.value.message
