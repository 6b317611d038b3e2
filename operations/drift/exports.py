"""The NFS server's export files against the hosts and their NFS shares: a file per host
that has one (functions.shares.ensure_share_exports), none for any other."""
from __future__ import annotations

from functions.share_config import nfs
from operations.drift.findings import Finding, Record
from operations.services import Services


def exports(svc: Services, rec: Record) -> list[Finding]:
    files = set(svc.planner.control.exports.hosts())
    found = [Finding("export_of_gone_host", f"export file of host {host_id}",
                     f"{svc.planner.control.exports.path(host_id)} exists; {rec.describe(host_id)}",
                     "remove the file and reload the NFS server", host_id=host_id)
             for host_id in sorted(files) if rec.gone(host_id)]
    found += [Finding("export_missing", f"export file of host {h['id']}",
                      f"host {h['name']} mounts NFS shares {', '.join(s['name'] for s in shared)} and has no "
                      f"export file", "attach its shares again (it rewrites the file)", host_id=h["id"])
              for h in rec.settled() if h["state"] == "active" and h["id"] not in files
              and (shared := nfs(svc.shares.for_host(h["id"])))]
    return found
