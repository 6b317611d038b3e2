"""Flask app factory. The API validates, records and queues; it never touches libvirt."""
from __future__ import annotations

import logging

from flask import Flask

from api import (
    errors,
    routes_audit,
    routes_backups,
    routes_chat,
    routes_dns,
    routes_hosts,
    routes_images,
    routes_misc,
    routes_networks,
    routes_operations,
    routes_resize,
    routes_shares,
    routes_slack_interactive,
    routes_snapshots,
    routes_tickets,
    routes_tokens,
    routes_volumes,
    routes_webhooks,
    ui,
)
from infra.bootstrap import api_services
from infra.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("hostflow")
    app.json.sort_keys = False
    app.extensions["hostflow"] = api_services(settings)
    errors.install(app)
    blueprints = (routes_hosts, routes_operations, routes_misc, routes_volumes, routes_backups, routes_resize,
                  routes_webhooks, routes_images, routes_snapshots, routes_networks,
                  routes_dns, routes_shares, routes_tickets, routes_tokens, routes_audit, routes_chat,
                  routes_slack_interactive, ui)
    for module in blueprints:
        app.register_blueprint(module.bp)
    logging.basicConfig(level=logging.INFO)
    return app
