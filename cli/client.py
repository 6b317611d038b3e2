"""The API's HTTP client for the CLI (and the chat bots): URL and token from the
environment, else from a config file of `export KEY=VALUE` lines."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]


class ApiError(Exception):
    def __init__(self, status: int, code: str | None, message: str | None):
        super().__init__(f"error {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Client:
    def __init__(self, url: str, token: str, session=None):
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body=None, **kw) -> dict:
        resp = self.session.request(method, self.url + path, json=body, timeout=30, **kw)
        data = resp.json() if resp.content else {}
        if resp.status_code >= 400:
            err = data.get("error", {})
            raise ApiError(resp.status_code, err.get("code"), err.get("message"))
        return data


def config_files() -> list[Path]:
    """Where the URL and token are looked for when the environment has neither."""
    named = os.environ.get("HOSTFLOW_CONFIG")
    if named:
        return [Path(named)]
    return [Path.home() / ".config" / "hostflow" / "openrc", REPO / ".hostflow" / "openrc"]


def read_config(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            words = words[1:]
        if len(words) == 1 and "=" in words[0]:
            key, value = words[0].split("=", 1)
            values[key] = value
    return values


def credentials() -> tuple[str, str]:
    url, token = os.environ.get("HOSTFLOW_API_URL"), os.environ.get("HOSTFLOW_TOKEN")
    for path in config_files():
        if url and token:
            break
        if path.is_file():
            values = read_config(path)
            url, token = url or values.get("HOSTFLOW_API_URL"), token or values.get("HOSTFLOW_TOKEN")
    if not (url and token):
        places = ", ".join(str(p) for p in config_files())
        raise SystemExit(f"HOSTFLOW_API_URL and HOSTFLOW_TOKEN are not set and not found in {places}: "
                         "source .hostflow/openrc")
    return url, token


def connect() -> Client:
    return Client(*credentials())
