"""Tokens: created by an admin, the secret shown once and stored hashed; revoked: 401."""
from sqlalchemy import select

from infra.db.models import ApiToken
from infra.db.tokens import hash_token


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def create(api, **body):
    return api.post("/v1/tokens", json={"name": "ci", "role": "operator", "projects": ["alpha"], **body},
                    headers=auth(api.admin))


def test_the_secret_is_in_the_creation_answer_only_and_stored_hashed(api):
    resp = create(api)
    assert resp.status_code == 201
    token = resp.get_json()["token"]
    assert token["secret"].startswith("hf_") and token["role"] == "operator" and token["projects"] == ["alpha"]
    listed = api.get("/v1/tokens", headers=auth(api.admin))
    assert token["secret"] not in listed.get_data(as_text=True)
    assert {"id", "name", "role", "projects", "created", "revoked"} == set(listed.get_json()["tokens"][0])
    with api.svc.operations.db.session() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.id == token["id"]))
        assert row.token_hash == hash_token(token["secret"]) != token["secret"]
    assert api.get("/v1/hosts", headers=auth(token["secret"])).status_code == 200


def test_a_revoked_token_is_401(api):
    token = create(api).get_json()["token"]
    resp = api.delete(f"/v1/tokens/{token['id']}", headers=auth(api.admin))
    assert resp.status_code == 200 and resp.get_json()["token"]["revoked"]
    again = api.get("/v1/hosts", headers=auth(token["secret"]))
    assert again.status_code == 401 and again.get_json()["error"]["code"] == "invalid_token"
    assert api.delete(f"/v1/tokens/{token['id']}", headers=auth(api.admin)).status_code == 200  # idempotent
    assert api.delete("/v1/tokens/nope", headers=auth(api.admin)).status_code == 404


def test_only_an_admin_manages_tokens(api):
    operator = create(api).get_json()["token"]["secret"]
    for token in (operator, api.viewer):
        assert api.post("/v1/tokens", json={"name": "x", "role": "admin"}, headers=auth(token)).status_code == 403
        assert api.get("/v1/tokens", headers=auth(token)).status_code == 403
        assert api.delete("/v1/tokens/x", headers=auth(token)).status_code == 403


def test_a_bad_role_or_project_is_422_and_creates_nothing(api):
    assert create(api, role="root").status_code == 422
    assert create(api, projects=["Not A Label"]).status_code == 422
    assert [t["name"] for t in api.get("/v1/tokens", headers=auth(api.admin)).get_json()["tokens"]] == ["admin", "v"]
