"""CLI: `serve` (the web app) and `users` (its accounts)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from decisionframe.cli._common import console, err_console, user_errors
from decisionframe.errors import DecisionframeError
from decisionframe.project import Project

users_app = typer.Typer(
    help="Accounts of the web app (`decisionframe serve`).", no_args_is_help=True
)


def serve_refusal(project: Project, host: str) -> str | None:
    """Why the app may not listen on ``host`` now (None: it may)."""
    from decisionframe.accounts import has_accounts
    from decisionframe.web.security import open_without_login

    if open_without_login(host):
        return None
    with project.open_store() as store:
        if has_accounts(store):
            return None
    return (
        f"refusing to listen on {host}: the project has no accounts yet, so anyone who can "
        "reach that address would see and change everything without signing in. Only "
        "127.0.0.1 (this machine) is served without accounts. Hint: add one first with "
        f"`decisionframe users add {project.directory} NAME --role admin`, or use "
        "--host 127.0.0.1."
    )


def serve(
    directory: Path = typer.Argument(..., help="project folder"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    certfile: Path | None = typer.Option(
        None, "--certfile", help="TLS certificate (PEM): serve https (needed off this machine)"
    ),
    keyfile: Path | None = typer.Option(None, "--keyfile", help="TLS private key (PEM)"),
    allow_host: list[str] = typer.Option(
        [], "--allow-host", help="another Host name to answer to (a proxy's); repeatable"
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="worker processes (sessions and the login limiter are shared; docs/serve.md)",
    ),
) -> None:
    """Serve the web app: overview, evidence, decision simulator, staff labelling.

    On 127.0.0.1 without accounts nobody signs in (it is your machine). Any other address
    needs accounts first (`decisionframe users add`), and then everybody signs in.
    """
    import uvicorn

    from decisionframe.web import create_app

    with user_errors():
        project = Project(directory)
        refusal = serve_refusal(project, host)
        if refusal is not None:
            raise DecisionframeError(refusal)
        if (certfile is None) != (keyfile is None):
            raise DecisionframeError("give both --certfile and --keyfile, or neither.")
        app = create_app(directory, bind=host, extra_hosts=allow_host, https=certfile is not None)
    scheme = "https" if certfile else "http"
    shown = f"[{host}]" if ":" in host else host
    console.print(f"decisionframe serving {project.config.name} at {scheme}://{shown}:{port}/")
    if certfile is None and host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(
            "note: without --certfile, browsers send the (Secure) session cookie only over "
            "https: put a TLS proxy in front, or give --certfile/--keyfile."
        )
    target: Any = app
    if workers > 1:
        # Each worker builds its own app from an import string (uvicorn's way); the
        # settings checked above reach it through the environment.
        from decisionframe.web import app as web_app

        os.environ[web_app.ENV_DIRECTORY] = str(Path(directory).resolve())
        os.environ[web_app.ENV_BIND] = host
        os.environ[web_app.ENV_HOSTS] = "\n".join(allow_host)
        os.environ[web_app.ENV_HTTPS] = "1" if certfile is not None else "0"
        target = "decisionframe.web.app:app_from_environment"
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,  # page addresses name assumptions; nothing about people, but quiet
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
        server_header=False,
    )


@users_app.command("add")
def users_add(
    directory: Path = typer.Argument(..., help="project folder"),
    username: str = typer.Argument(..., help="lower-case letters, digits, '.', '_', '-'"),
    role: str = typer.Option("viewer", "--role", help="viewer, labeller, analyst or admin"),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="DECISIONFRAME_PASSWORD",
        help="asked for when not given (or from DECISIONFRAME_PASSWORD)",
    ),
) -> None:
    """Add an account to the web app (its password is stored as an argon2id hash)."""
    import getpass

    from decisionframe.accounts import Role, add_user

    with user_errors():
        project = Project(directory)
        with project.open_store() as store:
            account = add_user(
                store, username, password, Role.parse(role), by=f"cli:{getpass.getuser()}"
            )
    console.print(f"added {account.username} ({account.role.name})")


@users_app.command("remove")
def users_remove(
    directory: Path = typer.Argument(..., help="project folder"),
    username: str = typer.Argument(...),
) -> None:
    """Remove an account (its sessions end at its next request)."""
    import getpass

    from decisionframe.accounts import remove_user

    with user_errors(), Project(directory).open_store() as store:
        remove_user(store, username, by=f"cli:{getpass.getuser()}")
    console.print(f"removed {username}")


@users_app.command("list")
def users_list(directory: Path = typer.Argument(..., help="project folder")) -> None:
    """List the accounts and their roles."""
    from decisionframe.accounts import list_users

    with user_errors(), Project(directory).open_store() as store:
        accounts = list_users(store)
    if not accounts:
        console.print("no accounts: `serve` answers on 127.0.0.1 only, without signing in")
    for account in accounts:
        console.print(f"{account.username}\t{account.role.name}")
