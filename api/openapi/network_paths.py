"""OpenAPI paths of networks and of the DNS names hostflow registers for hosts."""
from __future__ import annotations

from api.openapi.fragments import ERROR, ID, IDEMPOTENCY, OP_REF, answer, body, errors

NETWORK_PATHS = {
    "/v1/networks": {
        "get": {"summary": "networks (?env=: those an environment may use)",
                "parameters": [{"name": "env", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": answer("networks"), **errors(401)}},
        "post": {"summary": "record a network (admin); 409 subnet_overlap, segment_in_use, network_exists",
                 "requestBody": body("CreateNetwork"),
                 "responses": {"201": answer("the network"), **errors(400, 401, 403, 409, 422)}}},
    "/v1/networks/{name}": {"parameters": [{"name": "name", "in": "path", "required": True,
                                            "schema": {"type": "string"}}],
                            "get": {"summary": "a network", "responses": {"200": answer("network"),
                                                                          **errors(401, 404)}},
                            "delete": {"summary": "remove a network without addresses (admin)",
                                       "responses": {"200": answer("the removed network"),
                                                     **errors(401, 403, 404, 409)}}},
}


FQDN = {"name": "fqdn", "in": "path", "required": True, "schema": {"type": "string"}}
DNS_PATHS = {
    "/v1/hosts/{id}/names": {"parameters": [ID], "post": {
        "summary": "register a business domain name: CNAME -> the host's fqdn, A -> its vm address "
                   "(RFC 2136 update, verified at the authoritative server)",
        "parameters": [IDEMPOTENCY], "requestBody": body("RegisterName"),
        "responses": {"202": answer("queued", OP_REF),
                      "409": answer("`name_taken` (pointing elsewhere, or another host's; `force` takes it over), "
                                    "`cname_conflict` (a CNAME beside other data), `host_busy`", ERROR),
                      "422": answer("not a valid FQDN, or `outside_managed_zones`", ERROR),
                      **errors(400, 401, 403, 404)}}},
    "/v1/hosts/{id}/names/{fqdn}": {"parameters": [ID, FQDN], "delete": {
        "summary": "remove a business domain name of the host (only hostflow's own records)",
        "parameters": [IDEMPOTENCY],
        "responses": {"202": answer("queued", OP_REF), "404": answer("`name_not_found`", ERROR),
                      **errors(401, 403)}}},
    "/v1/dns/records": {"get": {
        "summary": "the record sets hostflow owns (host names, business names), with their state",
        "parameters": [{"name": "host_id", "in": "query", "schema": {"type": "string"}},
                       {"name": "include_deleted", "in": "query", "schema": {"type": "boolean"}}],
        "responses": {"200": answer("the records", {"type": "object", "properties": {"records": {
            "type": "array", "items": {"type": "object"}}}}), **errors(401)}}},
}
