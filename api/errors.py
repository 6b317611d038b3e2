"""Every error leaves the API as JSON: {"error": {"code", "message", "details"?}}."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from api.limits import too_large
from infra.errors import HostflowError

log = logging.getLogger("hostflow.api")


def error_response(code: str, message: str, status: int, details=None):
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    return jsonify({"error": body}), status


def validation_details(exc: ValidationError) -> list[dict]:
    return [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]


def install(app: Flask) -> None:
    @app.errorhandler(HostflowError)
    def _hostflow(exc: HostflowError):
        return error_response(exc.code, exc.message, exc.status if exc.status != 500 else 503, exc.details)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        details = validation_details(exc)
        first = details[0] if details else {"loc": [], "msg": "invalid"}
        return error_response("invalid_request", f"{'.'.join(first['loc']) or 'body'}: {first['msg']}", 422, details)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        """werkzeug's own 413 (a body read past the limit) answers as api.limits' does."""
        refused = too_large(request.max_content_length)
        return error_response(refused.code, refused.message, refused.status, refused.details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(code, exc.description or exc.name, exc.code or 500)

    @app.errorhandler(Exception)
    def _internal(exc: Exception):
        log.exception("unhandled error")
        return error_response("internal_error", "internal error; see the API log", 500)
