"""Flask app factory. The API validates, records and queues; it never touches libvirt."""
from __future__ import annotations

import logging

from flask import Flask

from api import errors, limits, ui
from api.client_address import trusted_networks
from api.query import check_query
from api.routes import (
    audit,
    backups,
    chat,
    console,
    dns,
    drift,
    hosts,
    images,
    misc,
    networks,
    operations,
    power,
    resize,
    shares,
    slack_interactive,
    snapshots,
    tickets,
    tokens,
    volumes,
    webhooks,
)
from infra.settings import Settings
from operations.bootstrap import api_services


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    trusted_networks(settings.trusted_proxies)
    app = Flask("hostflow")
    app.json.sort_keys = False
    app.extensions["hostflow"] = api_services(settings)
    errors.install(app)
    limits.install(app, settings)
    app.before_request(check_query)
    blueprints = (hosts, operations, misc, volumes, backups, resize, power, console,
                  webhooks, images, snapshots, networks,
                  dns, shares, tickets, tokens, audit, drift, chat,
                  slack_interactive, ui)
    for module in blueprints:
        app.register_blueprint(module.bp)
    console.sock.init_app(app)
    logging.basicConfig(level=logging.INFO)
    return app
