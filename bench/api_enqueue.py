"""API latency for a request that is validated, recorded and queued, nothing booted.

`python -m bench.api_enqueue [--rates 50,100,200,300] [--seconds 5]` (stack up, openrc
sourced): starts an API of its own (the same `api.app:create_app()` under gunicorn -w 2 --threads 8 --keep-alive 0,
as scripts/stack.sh runs it) on a free loopback port, with a fresh SQLite database in a
temporary state dir and its queue on a Redis database no worker reads (the stack's
Redis, database 13). `POST /v1/hosts` there runs the whole API path of an allocation:
authentication, validation, the image and name checks, the operation and host records in
one transaction, the enqueue on `flows`; nothing takes the job, so no guest boots. The
baseline is `GET /healthz` of the same server. Target: p99 <= 25 ms at 200/s."""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from bench.api import FLAVOR, IMAGE, Call, rate_ladder, report_rates, wait_healthy

REPO = Path(__file__).resolve().parents[1]
BENCH_REDIS_DB = 13


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(state_dir: str) -> dict:
    stack = urlsplit(os.environ.get("HOSTFLOW_REDIS_URL", "redis://127.0.0.1:6390/0"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTFLOW_APPROVAL")}
    env.update(HOSTFLOW_STATE_DIR=state_dir, HOSTFLOW_DATABASE_URL=f"sqlite:///{state_dir}/hostflow.db",
               HOSTFLOW_REDIS_URL=f"redis://{stack.netloc}/{BENCH_REDIS_DB}", PYTHONPATH=str(REPO))
    return env


def prepare(env: dict) -> str:
    """Migrates the database; an active image record and an admin token; the token."""
    code = ("from infra.db import migrate; from infra.db.engine import Database; "
            "from infra.db.images import ImageStore; from infra.db.tokens import TokenStore; import os; "
            "url = os.environ['HOSTFLOW_DATABASE_URL']; migrate.upgrade(url); db = Database(url); "
            f"ImageStore(db).add(name={IMAGE!r}, disk_format='qcow2', status='active', os_hash_value='00', "
            "location='/nowhere'); print(TokenStore(db).create('bench', 'admin'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def calls(token: str) -> list[Call]:
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def allocate():
        body = {"name": f"b{uuid.uuid4().hex[:12]}", "env": "test", "image": IMAGE, "flavor": FLAVOR}
        return "POST", "/v1/hosts", json.dumps(body).encode(), {**auth, "Idempotency-Key": str(uuid.uuid4())}

    return [Call("GET /healthz (baseline)", lambda: ("GET", "/healthz", None, {}), lambda s, _b: s == 200),
            Call("POST /v1/hosts (recorded, queued)", allocate,
                 lambda s, b: s == 202 and json.loads(b)["operation"]["state"] == "queued")]


def flush(env: dict) -> None:
    from redis import Redis

    Redis.from_url(env["HOSTFLOW_REDIS_URL"]).flushdb()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,200,300")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", default="-w 2 --threads 8 --keep-alive 0",
                        help="gunicorn's worker options (the stack's by default)")
    args = parser.parse_args(argv)
    rates = [int(r) for r in args.rates.split(",")]
    with tempfile.TemporaryDirectory(prefix="hostflow-bench-") as state_dir:
        env = isolated_env(state_dir)
        flush(env)
        token = prepare(env)
        url = f"http://127.0.0.1:{free_port()}"
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), *args.workers.split(), "-b",
                                   url.removeprefix("http://"), "api.app:create_app()"], env=env, cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_healthy(url)
            time.sleep(1)
            print(f"rates {rates}/s, {args.seconds:g} s each, against an isolated API at {url} "
                  f"(gunicorn {args.workers})", flush=True)
            report_rates(rate_ladder(url, calls(token), rates, args.seconds, grace=10.0), rates)
        finally:
            server.terminate()
            server.wait(timeout=30)
            flush(env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
