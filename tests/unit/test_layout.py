"""The layout the README describes holds: dependencies point inward, audiences stay apart,
no module reaches into another's private names, and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "survey_service"
#: Modules over the size limit, owned by other work (reshaping them is tracked in #9).
TOO_LONG_ELSEWHERE: set[str] = set()


def modules() -> dict[str, ast.Module]:
    return {str(p.relative_to(PACKAGE)): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(absolute module, names imported) for every import of a module of the package."""
    package = ["survey_service", *Path(name).parent.parts]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
    return found


MODULES = modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_dependencies_point_inward(name: str) -> None:
    used = [m for m, _ in imports(name, MODULES[name])]
    inner = ("surveys/", "indicators/", "reports/", "storage/", "services/", "rendering/")
    if name.startswith(inner):
        assert not [m for m in used if m.startswith(("survey_service.web", "survey_service.cli",
                                                     "litestar", "click"))], name
    if name.startswith(("surveys/", "indicators/")):
        assert not [m for m in used if m.startswith("survey_service.")
                    and not m.startswith(("survey_service.surveys", "survey_service.indicators"))]
    if name.startswith("web/admin/"):
        assert not [m for m in used if m.startswith("survey_service.web.respondents")]
    if name.startswith("web/respondents/"):
        assert not [m for m in used if m.startswith("survey_service.web.admin")]
    if name.startswith("web/api/"):
        assert not [m for m in used if m.startswith(("survey_service.web.admin",
                                                     "survey_service.web.respondents"))]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_private_names_of_another(name: str) -> None:
    for module, names in imports(name, MODULES[name]):
        if module == "__future__":
            continue
        inside = module.rsplit(".", 1)[-1].startswith("_")  # a package's own private module
        private = [n for n in names if n.startswith("_") and n != "__version__"]
        assert not private, f"{name} imports {private} from {module}"
        assert not inside or module.startswith("survey_service.indicators"), (name, module)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_under_400_lines(name: str) -> None:
    lines = len((PACKAGE / name).read_text(encoding="utf-8").splitlines())
    if name not in TOO_LONG_ELSEWHERE:
        assert lines <= 400, f"{name} has {lines} lines"


def test_app_imports_only_the_audiences_and_shared_pieces() -> None:
    used = {m for m, _ in imports("app.py", MODULES["app.py"])
            if m.startswith("survey_service.web")}
    assert used <= {"survey_service.web", "survey_service.web.deps", "survey_service.web.errors",
                    "survey_service.web.limits", "survey_service.web.assets",
                    "survey_service.web.kiosks", "survey_service.web.body",
                    "survey_service.web.protection"}
