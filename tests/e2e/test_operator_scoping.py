"""Through the running API: an operator token sees its own project's hosts only."""
import uuid

from tests.e2e.conftest import Api, unique_name


def test_an_operator_cannot_see_another_projects_host(api):
    mine, theirs = f"p{uuid.uuid4().hex[:8]}", f"p{uuid.uuid4().hex[:8]}"
    tokens = [api.post("/v1/tokens", {"name": f"e2e-{p}", "role": "operator", "projects": [p]}).json()["token"]
              for p in (mine, theirs)]
    own, other = (Api(api.url, t["secret"]) for t in tokens)
    created = api.allocate(unique_name("scope"), project=mine)
    host_id = created["host"]["id"]
    try:
        assert api.wait(created["operation"]["id"])["state"] == "succeeded"
        assert [h["id"] for h in own.get("/v1/hosts").json()["hosts"]] == [host_id]
        assert host_id not in [h["id"] for h in other.get("/v1/hosts").json()["hosts"]]
        assert other.get(f"/v1/hosts/{host_id}").status_code == 404
        assert other.delete(f"/v1/hosts/{host_id}").status_code == 404
        assert own.get(f"/v1/hosts/{host_id}").json()["host"]["project"] == mine
    finally:
        reclaim = api.delete(f"/v1/hosts/{host_id}")
        api.wait(reclaim.json()["operation"]["id"])
        for t in tokens:
            api.delete(f"/v1/tokens/{t['id']}")
    assert own.get("/v1/hosts").status_code == 401
