"""The phone-home endpoint: guests post here when a boot has finished.

`python -m workers.phone_home --listen 10.213.0.1:8775 --dir /var/lib/hostflow/phone-home`

`POST /phone-home/<host id>` with a form body (`hostname`, `boot_id`, ...: what
cloud-init's per-boot script sends, see functions.cloud_init) records, for that host,
the fields, the address the post came from (a guest NIC's clean-traffic filter keeps a
guest from posting from an address it was not leased) and when it arrived. Nothing
else is served but `GET /healthz`. The stack runs it in the VM network's gateway
namespace, on the gateway address, where guests reach it on their own subnet."""
from __future__ import annotations

import argparse
import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from infra import phone_home

log = logging.getLogger("hostflow.phone_home")
MAX_BODY = 16 << 10
FIELDS = ("hostname", "fqdn", "instance_id", "boot_id")


class Handler(BaseHTTPRequestHandler):
    directory: Path

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(200 if self.path == "/healthz" else 404)

    def do_POST(self) -> None:  # noqa: N802
        prefix, _, host_id = self.path.partition("/phone-home/")
        length = int(self.headers.get("Content-Length") or 0)
        if prefix or not phone_home.HOST_ID.match(host_id) or length > MAX_BODY:
            self._answer(404 if length <= MAX_BODY else 413)
            return
        form = parse_qs(self.rfile.read(length).decode(errors="replace"))
        record = {k: form[k][0][:255] for k in FIELDS if form.get(k)}
        record.update(host_id=host_id, address=self.client_address[0], received=time.time())
        phone_home.write(self.directory, host_id, record)
        log.info("phone home from %s for %s: %s", record["address"], host_id, record.get("hostname"))
        self._answer(200)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt: str, *args) -> None:
        log.debug(fmt, *args)


def serve(listen: str, directory: Path) -> ThreadingHTTPServer:
    host, _, port = listen.rpartition(":")
    directory.mkdir(parents=True, exist_ok=True)
    handler = type("BoundHandler", (Handler,), {"directory": directory})
    return ThreadingHTTPServer((host, int(port)), handler)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workers.phone_home")
    parser.add_argument("--listen", required=True, help="address:port")
    parser.add_argument("--dir", required=True, type=Path, help="where the records go")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(args.listen, args.dir).serve_forever()


if __name__ == "__main__":
    main()
