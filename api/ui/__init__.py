"""The operator dashboard under /ui/: server-rendered pages behind the API's own tokens."""
from api.ui import forms, host_actions, host_requests, login, pages  # noqa: F401  (they add their routes to bp)
from api.ui.blueprint import bp

__all__ = ["bp"]
