"""Benchmark: DNS updates per second through hostflow against a bare dnspython update loop.

    source .hostflow/openrc
    PYTHONPATH=. .venv/bin/python -m bench.dns [--runs 3] [--updates 200]

Needs the stack's BIND (scripts/stack.sh up). Prints figures, ratios and targets; a
missed target prints MISSED but the exit status stays 0. See bench/README.md."""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import dns.query
import dns.tsig
import dns.tsigkeyring
import dns.update

from functions.dns import ensure_record, remove_host_records
from functions.node import Control
from infra.db import migrate
from infra.db.engine import Database
from infra.settings import Settings
from operations.bootstrap import dns_context

ADAPTER_TARGET = 0.8  # the adapter adds only error translation to dnspython's update
FUNCTION_TARGET = 0.25  # ensure_record: observe (ANY), claim, update, verify, settle


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


class DnsBench:
    def __init__(self, settings: Settings, updates: int):
        self.settings, self.updates = settings, updates
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-dns-")
        url = f"sqlite:///{Path(self.tmp.name) / 'bench.db'}"
        migrate.upgrade(url)
        self.db = Database(url)
        self.ctl = Control(capacity=None, ipam=None, vm_network="vm", vm_subnet=settings.vm_subnet,
                           vm_gateway=settings.vm_gateway, **dns_context(settings, self.db))
        self.keyring = dns.tsigkeyring.from_text({settings.dns_key_name: settings.dns_tsig_secret})
        self.names: list[str] = []

    def _name(self, kind: str) -> str:
        name = f"bench-{kind}-{uuid.uuid4().hex[:8]}.bench.{self.settings.dns_zone}"
        self.names.append(name)
        return name

    def bare(self) -> float:
        """A signed replace of one A record per update, over TCP, as the adapter sends it."""
        name, s = self._name("bare"), self.settings
        start = time.perf_counter()
        for i in range(self.updates):
            update = dns.update.UpdateMessage(s.dns_zone + ".", keyring=self.keyring,
                                              keyalgorithm=dns.tsig.HMAC_SHA256)
            update.replace(name + ".", 300, "A", f"10.213.1.{i % 250 + 1}")
            assert dns.query.tcp(update, s.dns_server, port=s.dns_port, timeout=3).rcode() == 0
        return self.updates / (time.perf_counter() - start)

    def adapter(self) -> float:
        name = self._name("adapter")
        start = time.perf_counter()
        for i in range(self.updates):
            self.ctl.dns.replace(name, "A", 300, f"10.213.1.{i % 250 + 1}")
        return self.updates / (time.perf_counter() - start)

    def function(self) -> float:
        """ensure_record with a new value every time, so each call changes the record."""
        name = self._name("function")
        start = time.perf_counter()
        for i in range(self.updates):
            ensure_record(self.ctl, {"fqdn": name, "type": "A", "value": f"10.213.1.{i % 250 + 1}",
                                     "host_id": "bench", "kind": "business"})
        return self.updates / (time.perf_counter() - start)

    def converged(self) -> float:
        """ensure_record when the record already holds the value: observe and decide only."""
        name = self._name("converged")
        request = {"fqdn": name, "type": "A", "value": "10.213.1.1", "host_id": "bench", "kind": "business"}
        ensure_record(self.ctl, request)
        start = time.perf_counter()
        for _ in range(self.updates):
            ensure_record(self.ctl, request)
        return self.updates / (time.perf_counter() - start)

    def run(self, runs: int) -> dict[str, list[float]]:
        results: dict[str, list[float]] = {"bare": [], "adapter": [], "function": [], "converged": []}
        for _ in range(runs):
            for kind in results:
                results[kind].append(getattr(self, kind)())
        return results

    def close(self) -> None:
        remove_host_records(self.ctl, {"host_id": "bench"})
        for name in self.names:
            update = dns.update.UpdateMessage(self.settings.dns_zone + ".", keyring=self.keyring,
                                              keyalgorithm=dns.tsig.HMAC_SHA256)
            update.delete(name + ".")
            dns.query.tcp(update, self.settings.dns_server, port=self.settings.dns_port, timeout=3)
        self.db.dispose()
        self.tmp.cleanup()


def report(results: dict[str, list[float]], updates: int) -> None:
    med = {k: statistics.median(v) for k, v in results.items()}
    runs = len(results["bare"])
    print(f"DNS updates/s, {updates} updates a run, median of {runs} interleaved runs (BIND on loopback, TCP, TSIG)")
    for kind, label in (("bare", "bare dnspython update loop"), ("adapter", "hostflow adapter (DnsClient.replace)"),
                        ("function", "hostflow ensure_record (changing)"),
                        ("converged", "hostflow ensure_record (already done)")):
        runs_text = ", ".join(f"{v:.0f}" for v in results[kind])
        print(f"  {label:40s} {med[kind]:8.0f}/s   runs: {runs_text}")
    adapter, function = med["adapter"] / med["bare"], med["function"] / med["bare"]
    print(f"  adapter / bare   {adapter:.2f}x  target >= {ADAPTER_TARGET}x  {verdict(adapter >= ADAPTER_TARGET)}")
    print(f"  function / bare  {function:.2f}x  target >= {FUNCTION_TARGET}x  {verdict(function >= FUNCTION_TARGET)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--updates", type=int, default=200)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if not settings.dns_tsig_secret:
        print("no TSIG secret: source .hostflow/openrc first", file=sys.stderr)
        return 2
    bench = DnsBench(settings, args.updates)
    try:
        report(bench.run(args.runs), args.updates)
    finally:
        bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
