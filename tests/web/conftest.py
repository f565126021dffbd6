"""Web fixtures: one small simulated project per session, an in-process client per role.

``client_as(role)`` gives a TestClient signed in as a user of that role (accounts
``viewer1``, ``labeller1``, ``analyst1``, ``admin1``, all with PASSWORD); ``local_client``
is the no-accounts app on 127.0.0.1 (the machine owner, admin).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from decisionframe.accounts import Role, add_user
from decisionframe.project import Project
from decisionframe.web import create_app
from tests.conftest import make_project

PASSWORD = "correct horse battery"
# A copied project starts without the original's sessions and login failures (the app
# keeps them in .decisionframe/web.sqlite, which survives a restart).
NO_SESSIONS = shutil.ignore_patterns("web.sqlite*")
BASE = "https://127.0.0.1"


@pytest.fixture(scope="session")
def web_source(sim_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_project(sim_cache, tmp_path_factory.mktemp("web") / "org", n=400, seed=3)
    Project(folder).import_data()
    return folder


@pytest.fixture(scope="session")
def web_project(web_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with one account per role."""
    folder = tmp_path_factory.mktemp("web-accounts") / "org"
    shutil.copytree(web_source, folder)
    with Project(folder).open_store() as store:
        for role in Role:
            add_user(store, f"{role.name}1", PASSWORD, role, by="test")
    return folder


def csrf_of(client: TestClient, path: str = "/overview") -> str:
    html = client.get(path).text
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> object:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )


@pytest.fixture(scope="session")
def web_app(web_project: Path):  # type: ignore[no-untyped-def]
    return create_app(web_project)


@contextmanager
def _clients_of(app: Any) -> Iterator[Callable[[Role | None], TestClient]]:
    """A maker of TestClients on ``app``, each signed in as ``<role>1`` (or not signed in
    for None); every client made is closed at the end."""
    made: list[TestClient] = []

    def make(role: Role | None) -> TestClient:
        client = TestClient(app, base_url=BASE)
        made.append(client)
        if role is not None:
            answer = sign_in(client, f"{role.name}1")
            assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
        return client

    try:
        yield make
    finally:
        for client in made:
            client.close()


@pytest.fixture
def client_as(web_app) -> Iterator[Callable[[Role | None], TestClient]]:  # type: ignore[no-untyped-def]
    with _clients_of(web_app) as make:
        yield make


@pytest.fixture
def local_client(web_source: Path, tmp_path: Path) -> Iterator[TestClient]:
    folder = tmp_path / "org"
    shutil.copytree(web_source, folder)
    with TestClient(create_app(folder), base_url=BASE) as client:
        yield client


@pytest.fixture(scope="session")
def web_analyzed(web_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 400-client project with accounts, analyzed, decided, demand and voice run (the
    pages' content; about 40 s, once per session)."""
    folder = tmp_path_factory.mktemp("web-analyzed") / "org"
    shutil.copytree(web_project, folder, ignore=NO_SESSIONS)
    project = Project(folder)
    project.analyze(seed=0)
    project.decide(seed=0, draws=2000)
    project.demand()
    project.voice(seed=0)
    return folder


@pytest.fixture(scope="session")
def analyzed_app(web_analyzed: Path):  # type: ignore[no-untyped-def]
    return create_app(web_analyzed)


@pytest.fixture
def analyzed_as(analyzed_app) -> Iterator[Callable[[Role | None], TestClient]]:  # type: ignore[no-untyped-def]
    """``client_as`` on the analyzed project."""
    with _clients_of(analyzed_app) as make:
        yield make
