"""Schemathesis against the app's OpenAPI schema: every documented operation (the pages'
JSON twins and the two writes) answers without a server error, with the documented
content type and, where it succeeds, a body that fits the documented schema. Bounded (a
few examples per operation) so it runs in seconds.

The app is the no-accounts one on loopback (its user is the machine's admin, so every
route is reachable); writes without the session's CSRF token must be refused (403), and
are: schemathesis cannot know the token, so no background run is ever started here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from decisionframe.project import Project
from decisionframe.web import create_app


@pytest.fixture(scope="module")
def api(web_analyzed: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("openapi") / "org"
    shutil.copytree(web_analyzed, folder, ignore=shutil.ignore_patterns("web.sqlite*"))
    with Project(folder).open_store() as store:
        store.execute("DELETE FROM df_users")  # the machine owner's app: no login
    app = create_app(folder, extra_hosts=["testserver"])  # the name schemathesis sends
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call()
    case.validate_response(
        response,
        checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
    )
    if case.method.upper() != "GET":
        # Without the session's CSRF token a write never goes through (403; a body that
        # cannot be read at all or a method the route lacks is refused earlier).
        assert response.status_code in (400, 403, 405, 422), response.status_code
