"""Shared fixtures: the repository root and the read-only reference data in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The root of this checkout (holds specs/, output/, templates/)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (reference specs, CRDs, corpus); skips the test when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(
            f"reference data {SHARED_DIR} is absent (it sits beside the checkout on dev machines and CI)"
        )
    return SHARED_DIR


@pytest.fixture(autouse=True)
def _no_user_chart_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's chart cache: the default one is an empty, absent directory. Nor
    the developer's lint cache: the user cache directory (platformdirs: XDG_CACHE_HOME) is the session's."""
    monkeypatch.setenv("GITOPS_GEN_CHART_CACHE", str(tmp_path_factory.getbasetemp() / "no-chart-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "user-cache"))
