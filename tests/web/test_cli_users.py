"""``survey-service users ...`` and ``audit ...``: accounts from the command line, and the
audit log that an attacker with the database file cannot edit unseen."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.services.users import authenticate, user_for_key
from survey_service.storage import opened

PASSWORD = "correct horse battery"


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def _db(env: dict[str, str]) -> Path:
    return Path(env["SURVEY_DATABASE_URL"].removeprefix("sqlite:///"))


def _signs_in(env: dict[str, str], name: str, password: str) -> bool:
    async def check() -> bool:
        async with opened(env["SURVEY_DATABASE_URL"]) as store:
            return await authenticate(store, name, password) is not None

    return asyncio.run(check())


def test_add_list_password_disable(env: dict[str, str]) -> None:
    code, out = run(env, "users", "add", "admin", "--role", "admin", "--password-stdin",
                    stdin=PASSWORD + "\n")
    assert code == 0 and "added admin 'admin' (every organisation)" in out
    code, out = run(env, "users", "add", "ana", "--role", "analyst", "--org", "elena",
                    stdin=f"{PASSWORD}\n{PASSWORD}\n")  # asked twice at a prompt
    assert code == 0, out
    code, out = run(env, "users", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split()[:4] == ["admin", "admin", "*", "active"]
    assert lines[2].split()[:4] == ["ana", "analyst", "elena", "active"]
    stored = sqlite3.connect(_db(env)).execute("SELECT password_hash FROM users").fetchall()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for (h,) in stored)
    assert _signs_in(env, "ana", PASSWORD) and not _signs_in(env, "ana", PASSWORD + "x")
    assert run(env, "users", "password", "ana", "--password-stdin",
               stdin="another long password\n")[0] == 0
    assert not _signs_in(env, "ana", PASSWORD)
    assert _signs_in(env, "ana", "another long password")
    assert run(env, "users", "disable", "ana") == (0, "disabled 'ana'\n")
    assert not _signs_in(env, "ana", "another long password")
    assert "disabled" in run(env, "users", "list")[1].splitlines()[2]


def test_refusals_are_one_line(env: dict[str, str]) -> None:
    cases = [
        (("users", "add", "x", "--role", "analyst"), "needs at least one organisation"),
        (("users", "add", "x", "--role", "analyst", "--org", "sofia"), "unknown organisation"),
        (("users", "add", "Bad Name", "--role", "admin"), "must be lower-case"),
        (("users", "add", "x", "--role", "admin"), "12 to 1024 characters"),
        (("users", "disable", "nobody"), "unknown user 'nobody'"),
        (("users", "key", "nobody"), "unknown user 'nobody'"),
    ]
    for args, message in cases:
        stdin = "short\n" if "Bad Name" not in args and "analyst" not in args else PASSWORD + "\n"
        code, out = run(env, *args, "--password-stdin", stdin=stdin) if args[1] == "add" else run(
            env, *args)
        assert code == 1 and message in out and "Traceback" not in out, (args, out)
        assert len(out.strip().splitlines()) == 1, out
    assert run(env, "users", "add", "x", "--role", "admin", "--password-stdin",
               stdin=PASSWORD + "\n")[0] == 0
    code, out = run(env, "users", "add", "x", "--role", "clerk", "--org", "elena",
                    "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1 and "already exists" in out


def test_an_api_key_is_printed_once_and_only_its_hash_is_kept(env: dict[str, str]) -> None:
    run(env, "users", "add", "ana", "--role", "analyst", "--org", "elena", "--password-stdin",
        stdin=PASSWORD + "\n")
    result = CliRunner().invoke(cli, ["users", "key", "ana"], env=env)
    assert result.exit_code == 0
    key = result.stdout.strip()
    assert key.startswith("ssk_") and len(key) > 40
    files = [_db(env), _db(env).with_name(_db(env).name + "-wal")]
    assert not any(key.encode() in f.read_bytes() for f in files if f.exists())

    async def owner(k: str) -> str | None:
        async with opened(env["SURVEY_DATABASE_URL"]) as store:
            user = await user_for_key(store, k)
            return user.name if user else None

    assert asyncio.run(owner(key)) == "ana"
    second = CliRunner().invoke(cli, ["users", "key", "ana"], env=env).stdout.strip()
    assert asyncio.run(owner(key)) is None and asyncio.run(owner(second)) == "ana"
    run(env, "users", "disable", "ana")
    assert asyncio.run(owner(second)) is None


def test_audit_verify_detects_an_edited_or_deleted_entry(env: dict[str, str]) -> None:
    for name in ("a1", "a2", "a3"):
        run(env, "users", "add", name, "--role", "admin", "--password-stdin",
            stdin=PASSWORD + "\n")
    run(env, "users", "disable", "a2")
    code, out = run(env, "audit", "verify")
    assert code == 0 and out.startswith("audit log intact: 4 entries; last hash ")
    code, out = run(env, "audit", "list")
    assert code == 0 and "user-disable" in out and '"user":"a2"' in out
    db = _db(env)
    with sqlite3.connect(db) as conn:
        try:
            conn.execute("UPDATE audit SET actor = 'nobody' WHERE seq = 2")
        except sqlite3.IntegrityError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError("the audit table accepted an UPDATE")
    # an attacker drops the guard and edits an entry
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("DROP TRIGGER audit_no_delete")
        conn.execute("UPDATE audit SET detail = '{\"user\":\"zz\"}' WHERE seq = 2")
    code, out = run(env, "audit", "verify")
    assert (code, out) == (1, "Error: audit entry 2 was changed after it was written\n")
    with sqlite3.connect(db) as conn:  # or empties the log and removes one entry of a new one
        conn.execute("DELETE FROM audit")
    for name in ("b1", "b2", "b3"):
        run(env, "users", "add", name, "--role", "admin", "--password-stdin",
            stdin=PASSWORD + "\n")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit WHERE seq = 2")
    code, out = run(env, "audit", "verify")
    assert (code, out) == (1, "Error: audit entry 2 is missing\n")


def test_wave_and_code_commands_are_audited(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "waves", "open", "staff-survey", "--id", "st", "--org", "elena")[0] == 0
    assert run(env, "waves", "set", "st", "--min-group", "12")[0] == 0
    assert run(env, "tokens", "issue", "st", "--org", "elena", "--unit", "finance", "--count",
               "2", "--out", str(tmp_path / "slips"))[0] == 0
    assert run(env, "waves", "close", "st")[0] == 0
    code, out = run(env, "audit", "list")
    assert code == 0
    actions = [line.split()[3] for line in out.splitlines()[1:]]
    assert actions == ["wave-close", "codes-issue", "wave-set", "wave-open"]
    assert all(line.split()[2].startswith("cli") for line in out.splitlines()[1:])
    assert run(env, "audit", "verify")[1].startswith("audit log intact: 4 entries")
