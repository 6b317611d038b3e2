"""The project's error classes. Adapters translate library errors into these."""
from __future__ import annotations


class HostflowError(Exception):
    code = "internal_error"
    status = 500

    def __init__(self, message: str, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class NotFound(HostflowError):
    code, status = "not_found", 404


class Conflict(HostflowError):
    code, status = "conflict", 409


class Invalid(HostflowError):
    code, status = "invalid_request", 422


class Unauthorized(HostflowError):
    code, status = "unauthorized", 401


class NoCapacity(HostflowError):
    code, status = "no_capacity", 409


class NoAddress(HostflowError):
    code, status = "no_address", 409


class ComputeError(HostflowError):
    code = "compute_error"


class StorageError(HostflowError):
    code = "storage_error"


class ImageError(HostflowError):
    code = "image_error"


class GuestTimeout(HostflowError):
    code = "guest_timeout"


class GuestNotReady(GuestTimeout):
    """The guest never proved it is up; `details.console_tail` holds its last console lines."""

    code = "guest_not_ready"


class StepFailed(HostflowError):
    """A step's job failed on its node; carries the node's error code and message."""

    code = "step_failed"


class WorkerLost(HostflowError):
    code = "worker_lost"


class OutcomeUnknown(WorkerLost):
    """The queue was lost while a step was handed over or waited on: it may have run,
    or may still run. Nothing is compensated blind; a retry runs the step again, and the
    step's function observes before it acts."""

    code, status = "outcome_unknown", 503


class Cancelled(HostflowError):
    code = "cancelled"


class DnsError(HostflowError):
    """The DNS server failed or refused an update or a query (infra.dns translates)."""

    code, status = "dns_error", 502


class DnsUnavailable(DnsError):
    code, status = "dns_unavailable", 503
