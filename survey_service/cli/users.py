"""``survey-service users add|list|disable|key|password``."""

from __future__ import annotations

import sys

import click

from ..services import users as service
from ..services.audit import cli_actor
from ..services.errors import Invalid
from .base import cell, echo_table, settings, with_store


def _password(from_stdin: bool) -> str:
    """The password from standard input (its first line), or asked twice at the terminal."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise Invalid("no password given")
    return str(password)


STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)


@click.group()
def users() -> None:
    """Accounts of the administration pages (admin, analyst, clerk)."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(service.ROLES))
@click.option("--org", "organisations", multiple=True, help="Organisation granted (repeat).")
@STDIN
def users_add(name: str, role: str, organisations: tuple[str, ...], password_stdin: bool) -> None:
    """Create an account; the password is asked for (or read with --password-stdin)."""
    config = settings()
    password = _password(password_stdin)
    user = with_store(
        config,
        lambda store: service.add_user(
            config, store, name, role, list(organisations), password, cli_actor()
        ),
    )
    orgs = ", ".join(user.organisations) or "every organisation"
    click.echo(f"added {user.role} '{user.name}' ({orgs})")


@users.command("list")
def users_list() -> None:
    """Every account: role, organisations, whether disabled or with an API key."""
    found = with_store(settings(), lambda store: store.users())
    if not found:
        click.echo("no users: add one with `survey-service users add NAME --role admin`")
        return
    echo_table(
        ["name", "role", "organisations", "state", "api key", "created"],
        [
            [u.name, u.role, ",".join(u.organisations) or "*",
             "disabled" if u.disabled else "active", "yes" if u.key_hash else "no",
             cell(u.created)]
            for u in found
        ],
    )


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable an account: it cannot sign in, its sessions end and its API key stops."""
    with_store(settings(), lambda store: service.disable_user(store, name, cli_actor()))
    click.echo(f"disabled '{name}'")


@users.command("key")
@click.argument("name")
def users_key(name: str) -> None:
    """Print a new read-only API key for the account, once (the previous key stops)."""
    key = with_store(settings(), lambda store: service.new_key(store, name, cli_actor()))
    click.echo(key)
    click.echo("(shown once: only its hash is stored)", err=True)


@users.command("password")
@click.argument("name")
@STDIN
def users_password(name: str, password_stdin: bool) -> None:
    """Set a new password (asked for, or read with --password-stdin); sessions end."""
    config = settings()
    password = _password(password_stdin)
    with_store(config, lambda store: service.set_password(store, name, password, cli_actor()))
    click.echo(f"password of '{name}' changed")
