"""The operator dashboard under /ui/: server-rendered pages behind the API's own tokens."""
from api.ui import (  # noqa: F401  (they add their routes to bp)
    backups,
    console,
    dns,
    drift,
    forms,
    host_actions,
    host_requests,
    login,
    operation_actions,
    pages,
    power,
    resize,
    shares,
)
from api.ui.blueprint import bp

__all__ = ["bp"]
