"""Each hypervisor's libvirt and disk against the hosts and volumes recorded on it, from
the node's own inventory (functions.inventory, run through its queue: the control plane
has no disk in common with the nodes). Nothing here is repaired unattended: a domain or
a disk nobody owns may be someone's data."""
from __future__ import annotations

from operations.drift.findings import Finding, Record
from operations.services import Services

TEMP_FILE_AGE_S = 3600  # younger temporary files may belong to a step still running
VOLUME_PREFIX, VOLUME_SUFFIX = "vol-", ".raw"
UNSURE = {"creating", "error"}  # a pool volume may or may not exist


def node(svc: Services, rec: Record, name: str, inventory: dict) -> list[Finding]:
    return [*_domains(rec, name, inventory), *_instance_files(rec, name, inventory),
            *_volumes(svc, rec, name, inventory), *_temp_files(name, inventory)]


def _on(rec: Record, host_id: str | None, name: str) -> bool:
    host = rec.live(host_id) if host_id else None
    return bool(host) and host["hypervisor"] == name


def _domains(rec: Record, name: str, inventory: dict) -> list[Finding]:
    domains = inventory["domains"]
    found = [Finding("domain_without_host", f"domain {d['domain']} on {name}",
                     f"{d['state']}, marked for host {d['host']}; "
                     f"{_where(rec, d['host'])}",
                     "check the guest, then reclaim it or undefine the domain by hand (hostflow never "
                     "destroys a domain it cannot account for)", host_id=d["host"])
             for d in domains if not _on(rec, d["host"], name) and d["host"] not in rec.busy["hosts"]]
    marked = {d["host"] for d in domains}
    found += [Finding("host_without_domain", f"host {h['id']} on {name}",
                      f"host {h['name']} is {h['state']} on {name}, which has no domain marked for it",
                      "rebuild the host, or reclaim it", host_id=h["id"])
              for h in rec.settled() if h["hypervisor"] == name and h["state"] == "active" and h["id"] not in marked]
    return found


def _where(rec: Record, host_id: str | None) -> str:
    host = rec.live(host_id) if host_id else None
    if host and host["hypervisor"]:
        return f"the host is recorded on {host['hypervisor']}"
    return rec.describe(host_id) if host_id else "no host mark"


def _instance_files(rec: Record, name: str, inventory: dict) -> list[Finding]:
    return [Finding("instance_files_without_host", f"instance directory of host {i['host']} on {name}",
                    f"{len(i['files'])} files, {i['bytes']} bytes; {_where(rec, i['host'])}",
                    "delete the directory once nothing uses it", host_id=i["host"])
            for i in inventory["instances"] if not _on(rec, i["host"], name) and i["host"] not in rec.busy["hosts"]]


def _volumes(svc: Services, rec: Record, name: str, inventory: dict) -> list[Finding]:
    recorded = {v["id"]: v for v in svc.volumes.list(include_deleted=True) if v["hypervisor"] == name}
    pooled = {_volume_id(v["name"]): v for v in inventory["volumes"] if _volume_id(v["name"])}
    found = [Finding("volume_without_record", f"pool volume {v['name']} on {name}",
                     f"{v['path']}, {v['bytes']} bytes; "
                     f"{_volume_state(recorded.get(vid))}",
                     "delete the pool volume once nothing uses it")
             for vid, v in pooled.items() if _gone(recorded.get(vid)) and vid not in rec.busy["volumes"]]
    found += [Finding("volume_missing", f"volume {vid} on {name}",
                      f"volume {v['name']} is {v['state']} on {name}, whose pool holds no {VOLUME_PREFIX}{vid}"
                      f"{VOLUME_SUFFIX}", "restore the volume from a backup, or delete it")
              for vid, v in recorded.items() if not _gone(v) and v["state"] not in UNSURE and vid not in pooled
              and vid not in rec.busy["volumes"]]
    return found


def _volume_id(pool_name: str) -> str | None:
    if pool_name.startswith(VOLUME_PREFIX) and pool_name.endswith(VOLUME_SUFFIX):
        return pool_name[len(VOLUME_PREFIX):-len(VOLUME_SUFFIX)]
    return None


def _gone(volume: dict | None) -> bool:
    return volume is None or volume["state"] == "deleted"


def _volume_state(volume: dict | None) -> str:
    return f"volume {volume['id']} is {volume['state']}" if volume else "no volume of that id is on record"


def _temp_files(name: str, inventory: dict) -> list[Finding]:
    return [Finding("temp_file_left", f"{t['path']} on {name}",
                    f"{t['bytes']} bytes, untouched for {t['age_s']:.0f} s",
                    "delete it (a hypervisor worker's start cleans these)")
            for t in inventory["temp_files"] if t["age_s"] > TEMP_FILE_AGE_S]
