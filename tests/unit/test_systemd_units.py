"""The systemd units docs/systemd ships for production: systemd itself finds nothing
wrong in them, each restarts its service whatever ends it and never gives up, and every
worker role and long-running service of a node has one."""
import configparser
import subprocess
from pathlib import Path

import pytest

from workers.process import ROLE_JOBS

REPO = Path(__file__).resolve().parents[2]
UNITS = sorted((REPO / "docs" / "systemd").glob("*.service"))
INSTANCES = {"hostflow-hv@.service": "hostflow-hv@hv1.service", "hostflow-flows@.service": "hostflow-flows@1.service"}


def read(unit: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(unit)
    return parser


def test_systemd_verifies_every_unit_without_a_word(tmp_path):
    """Installed where the repository is (systemd checks that ExecStart exists)."""
    for unit in UNITS:
        name = INSTANCES.get(unit.name, unit.name)
        (tmp_path / name).write_text(unit.read_text().replace("/opt/hostflow", str(REPO)))
    done = subprocess.run(["systemd-analyze", "verify", *sorted(p.name for p in tmp_path.iterdir())],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_restarts_its_service_and_never_gives_up(unit):
    parsed = read(unit)
    assert parsed["Service"]["Restart"] == "always" and parsed["Unit"]["StartLimitIntervalSec"] == "0"


def test_every_worker_role_and_service_has_a_unit():
    commands = " ".join(read(u)["Service"]["ExecStart"] for u in UNITS)
    assert all(f"workers.process --role {role}" in commands for role in ROLE_JOBS)
    assert all(part in commands for part in ("gunicorn", "workers.deployments.serve", "workers.phone_home"))
