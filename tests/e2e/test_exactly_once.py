"""Exactly once under contention: 1,000 deliveries of the same request under one
Idempotency-Key, from 20 processes released together against the running API (its
gunicorn workers, its database), make one operation and one volume."""
import multiprocessing
import os
import time
import uuid
from collections import Counter

import requests

from tests.e2e.conftest import unique_name

PROCESSES, EACH = 20, 50


def deliver(url: str, token: str, key: str, body: dict, start_at: float) -> list[tuple[int, str | None]]:
    """One process's deliveries: (status, operation id) of each."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Idempotency-Key": key})
    time.sleep(max(0.0, start_at - time.time()))
    answers = []
    for _ in range(EACH):
        resp = session.post(f"{url}/v1/volumes", json=body, timeout=60)
        answers.append((resp.status_code, (resp.json().get("operation") or {}).get("id")))
    return answers


def test_a_thousand_deliveries_of_one_key_make_one_operation(api):
    key, body = str(uuid.uuid4()), {"name": unique_name("once"), "size_gb": 1, "env": "test"}
    start_at = time.time() + 5  # every process started and waiting when the first request goes
    args = [(api.url, os.environ["HOSTFLOW_TOKEN"], key, body, start_at)] * PROCESSES
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        answers = [a for batch in pool.starmap(deliver, args) for a in batch]
    assert len(answers) == PROCESSES * EACH
    assert set(Counter(status for status, _ in answers)) <= {200, 202}, Counter(status for status, _ in answers)
    (op_id,) = {op for _, op in answers}
    op = api.wait(op_id)
    assert op["state"] == "succeeded", op["error"]
    named = [v for v in api.get("/v1/volumes").json()["volumes"] if v["name"] == body["name"]]
    assert len(named) == 1
    api.wait(api.delete(f"/v1/volumes/{named[0]['id']}").json()["operation"]["id"])
