"""Fuzzing ``forms check`` (issue 13): survey files that hypothesis derives from the shipped
ones (values of the wrong type, keys removed or added, ids repeated, conditions pointing
anywhere, odd text, broken TOML) get a clear error or a valid catalog, never a traceback."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from survey_service.cli import cli

FORMS = Path(__file__).resolve().parents[2] / "forms"
SURVEYS = sorted(p.name for p in FORMS.glob("*.toml")
                 if p.name not in ("organisations.toml", "expected-results.toml"))


def toml_value(value: Any) -> str:
    """A value as TOML, tables inline (enough for any survey file)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if value != value else
                                                          ("inf" if value > 0 else "-inf"))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}"
                           for k, v in value.items()) + "}"


def to_toml(document: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in document.items())


ODD = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(),
    st.text(max_size=20), st.sampled_from(["", "a b", "../x", "Ид", "0", "likert", "single",
                                           "{{7*7}}", "x" * 300]),
    st.lists(st.integers(-2, 12), max_size=3), st.just({}), st.just([]),
)


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a parsed file (dict keys and list indices)."""
    found = [at]
    if isinstance(node, dict):
        for k, v in node.items():
            found += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _paths(v, (*at, i))
    return found


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


@st.composite
def mutated(draw: st.DrawFn, name: str) -> str:
    """A shipped survey file with a few random changes; now and then broken as TOML."""
    document = tomllib.loads((FORMS / name).read_text())
    for _ in range(draw(st.integers(1, 4))):
        places = _paths(document)[1:]
        path = draw(st.sampled_from(places))
        parent, last = _get(document, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "add",
                                       "copy"]))
        if action == "replace":
            parent[last] = draw(ODD)
        elif action == "delete":
            del parent[last]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(parent[last])  # an id written twice
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "show_if", "scale", "rows", "options",
                                         "max_length", "kind", "required"]))] = draw(ODD)
        else:  # a value moved somewhere else (a question's id into a condition, ...)
            other = draw(st.sampled_from(places))
            # not into itself, nor an ancestor into its own descendant (a cycle)
            cyclic = other[: len(path)] == path or path[: len(other)] == other
            parent[last] = None if cyclic else _get(document, other)
        document = json.loads(json.dumps(document, default=str))  # no shared sub-trees
    text = to_toml(_clean(document))
    if draw(st.integers(0, 9)) == 0:
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", "\x00", "[", "= =", "\ufeff", "\"\n"]))
    return text


def _clean(node: Any) -> Any:
    """TOML has no null: a None becomes an empty string (itself a wrong value)."""
    if isinstance(node, dict):
        return {k: _clean(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return "" if node is None else node


@given(st.sampled_from(SURVEYS).flatmap(lambda name: st.tuples(st.just(name), mutated(name))))
def test_forms_check_gives_a_clear_error_or_a_catalog(case: tuple[str, str]) -> None:
    name, text = case
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "forms"
        folder.mkdir()
        shutil.copy(FORMS / "organisations.toml", folder)
        (folder / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        result = runner.invoke(cli, ["forms", "check", "--dir", str(folder)],
                               env={"SURVEY_DATABASE_URL": f"sqlite:///{tmp}/x.sqlite3"})
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{result.exception!r} for:\n{text[:3000]}")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
        assert errors, result.output
    else:
        assert f"ok  {name}" in result.output, result.output
