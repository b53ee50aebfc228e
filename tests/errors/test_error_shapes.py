"""One error, many shapes: the same bug run for real through every launcher and output shape,
from two checkouts, gives the same in-app identity (the function that raised it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from memory_store.bugs.features import features_of
from memory_store.errors import parse_error

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "bench" / "scenarios" / "shopapp"
LAUNCHERS = {
    "script": ["run_bug.py", "stats_avg"],
    "python -m": ["-m", "shop.cli", "stats_avg"],
    "thread pool": ["-m", "shop.pool", "stats_avg"],
    "asyncio": ["-m", "shop.aio", "stats_avg"],
    "logging": ["-m", "shop.logged", "stats_avg"],
    "unittest": ["-m", "unittest", "tests.test_unit.BugTest.test_stats_avg"],
}
PYTEST = {f"pytest --tb={style}": ["-m", "pytest", "-p", "no:cacheprovider", "-q", f"--tb={style}",
                                    "tests/test_bugs.py", "-k", "stats_avg"]
          for style in ("long", "short", "native", "line")}


def _run(checkout: Path, argv: list[str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    env.update(PYTHONPATH=str(checkout), PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    done = subprocess.run([sys.executable, *argv], cwd=checkout, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode != 0
    return done.stdout + ("" if "pytest" in argv else done.stderr)


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = []
    for where in ("alice/src/shop", "builds/ci-42/checkout"):
        root = tmp_path_factory.mktemp("checkout") / where
        shutil.copytree(APP, root, ignore=shutil.ignore_patterns("__pycache__"))
        out.append(root)
    return out


@pytest.fixture(scope="module")
def outputs(checkouts: list[Path]) -> dict[str, str]:
    return {name: _run(checkouts[0], argv) for name, argv in {**LAUNCHERS, **PYTEST}.items()}


@pytest.mark.parametrize("shape", [*LAUNCHERS, *PYTEST])
def test_every_shape_names_the_raising_function(outputs: dict[str, str], checkouts: list[Path], shape: str) -> None:
    parsed = parse_error(outputs[shape], checkouts[0])
    assert parsed is not None and parsed.exc_type == "ZeroDivisionError" and parsed.message == "division by zero"
    features = features_of(parsed)
    assert features.app_top == "shop/stats:avg"
    assert not features.lib_frames, "launcher frames must not count as shared evidence"


@pytest.mark.parametrize("shape", [s for s in [*LAUNCHERS, *PYTEST] if s != "pytest --tb=line"])
def test_shapes_name_the_function_without_the_workspace_too(outputs: dict[str, str], shape: str) -> None:
    parsed = parse_error(outputs[shape])
    assert parsed is not None and features_of(parsed).app_top == "shop/stats:avg"


def test_pytest_line_without_the_workspace_does_not_guess(outputs: dict[str, str]) -> None:
    """``--tb=line`` prints no function: without the source to read, the raising function is unknown
    (never the test function that merely called it)."""
    parsed = parse_error(outputs["pytest --tb=line"])
    assert parsed is not None and features_of(parsed).app_top == ""


def test_another_checkout_gives_the_same_features(checkouts: list[Path]) -> None:
    first, second = (features_of(parse_error(_run(root, LAUNCHERS["python -m"])))  # type: ignore[arg-type]
                     for root in checkouts)
    assert first.app_frames == second.app_frames and first.app_top == second.app_top == "shop/stats:avg"
    assert first.fingerprint == second.fingerprint
