"""The projects a webhook source (jira, servicenow, generic or a named tool) acts in,
from HOSTFLOW_SOURCE_PROJECTS: `{"jira": ["default", "web"], "servicenow": ["*"]}`. A
source the setting does not name acts in `default` only; `*` is every project. A
source's requests are scoped as an operator token's are: another project's host is as
absent as an unknown one, and creating in another project is `403 project_not_allowed`."""
from __future__ import annotations

import json
from collections.abc import Callable

from operations.scoping import Forbidden

DEFAULT = ("default",)


def projects(settings, source: str) -> tuple[str, ...]:
    table = json.loads(settings.source_projects) if settings.source_projects.strip() else {}
    return tuple(table.get(source, DEFAULT))


def sees(settings, source: str) -> Callable[[str], bool]:
    allowed = projects(settings, source)
    return lambda project: "*" in allowed or project in allowed


def check_creates_in(settings, source: str, project: str) -> None:
    if not sees(settings, source)(project):
        raise Forbidden(f"source {source} may not create in project {project!r} (HOSTFLOW_SOURCE_PROJECTS)",
                        code="project_not_allowed")
