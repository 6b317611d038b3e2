"""Serves the Prefect deployments (workers.deployments.hosts) on the control node:
`python -m workers.deployments.serve`. Each run executes in its own process started by Prefect's
runner; the operation's functions still run on the hypervisors' RQ workers."""
from __future__ import annotations

import logging

from prefect import serve
from prefect.deployments.runner import EntrypointType

from workers.deployments.hosts import DEPLOYMENTS
from workers.deployments.storage import STORAGE_DEPLOYMENTS

DEPLOYMENT_NAME = "hostflow"


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    # by module path: a file path would put flows/ first on sys.path, where flows/dns.py hides dnspython
    serve(*(f.to_deployment(name=DEPLOYMENT_NAME, tags=["hostflow"], entrypoint_type=EntrypointType.MODULE_PATH)
            for f in (*DEPLOYMENTS, *STORAGE_DEPLOYMENTS)), limit=20)


if __name__ == "__main__":
    main()
