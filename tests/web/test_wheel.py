"""The built wheel carries everything a server needs (templates, static files, migrations,
catalogs): installed into a fresh virtual environment, it checks the forms and serves a form
page from another folder, far from the source tree."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs  # type: ignore[call-overload]
    )


def test_the_wheel_serves_a_form_from_another_folder(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a clean copy: nothing left over from an earlier build
    for name in ("pyproject.toml", "setup.py", "README.md", "survey_service", "templates"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy(ROOT / name, source / name)
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                 tmp_path / "dist", source)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("survey_service-*.whl")
    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", "--without-pip", venv).returncode == 0
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                .stdout.strip())
    # the dependencies come from the test's environment; the package only from the wheel
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    installed = _run(sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                     site, wheel)
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "data").mkdir(parents=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")},
        "SURVEY_FORMS_DIR": str(ROOT / "forms"),
        "SURVEY_DATABASE_URL": f"sqlite:///{elsewhere / 'data' / 'survey.sqlite3'}",
        "PYTHONPATH": "",
    }
    where = _run(python, "-c", "import survey_service; print(survey_service.__file__)",
                 cwd=elsewhere, env=env)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr
    checked = _run(python, "-m", "survey_service.cli", "forms", "check", cwd=elsewhere, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    port = _free_port()
    server = subprocess.Popen(
        [python, "-m", "survey_service.cli", "serve", "--demo-waves", "--port", str(port)],
        cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            server.kill()
            pytest.fail(f"the installed server did not start: {server.communicate()[0]}")
        form = httpx.get(f"{base}/s/citizen-satisfaction?org=elena")
        assert form.status_code == 200 and '<form id="survey"' in form.text
        css = next(part.split('"')[0] for part in form.text.split('href="/static/')[1:])
        assert httpx.get(f"{base}/static/{css}").status_code == 200
        assert httpx.get(f"{base}/privacy?lang=en").status_code == 200
        assert httpx.get(f"{base}/readyz").json() == {"status": "ready"}
    finally:
        server.terminate()
        server.communicate(timeout=30)
