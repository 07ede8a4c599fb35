"""The reference libraries the tests compare against: imported when a test asks, skipped when
missing, and a failure instead of a skip when the environment requires them.

``LRPLOT_REQUIRE=all`` (CI) requires every library; ``LRPLOT_REQUIRE=optax,keras`` the named ones;
``LRPLOT_REQUIRE_TORCH=1`` torch, as before. None of them is ever a dependency of lrplot itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Callable

import pytest


def _load_timm_scheduler() -> types.ModuleType:
    """timm.scheduler without running timm/__init__.py, which imports torchvision (its models and
    data loaders); the schedulers themselves need only torch."""
    if "timm.scheduler" in sys.modules:
        return sys.modules["timm.scheduler"]
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("No module named 'timm'")
    if "timm" not in sys.modules:
        package = types.ModuleType("timm")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        sys.modules["timm"] = package
    return importlib.import_module("timm.scheduler")


def _load_keras() -> types.ModuleType:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return importlib.import_module("keras")


# How to import a reference that a plain import cannot reach; every other name is imported as is.
LOADERS: dict[str, Callable[[], types.ModuleType]] = {
    "timm.scheduler": _load_timm_scheduler,
    "keras": _load_keras,
}


def required(name: str) -> bool:
    """Whether the environment requires the reference library ``name`` (its top-level package)."""
    top = name.split(".")[0]
    wanted = {w.strip() for w in os.environ.get("LRPLOT_REQUIRE", "").split(",") if w.strip()}
    if top == "torch" and os.environ.get("LRPLOT_REQUIRE_TORCH") == "1":
        return True
    return "all" in wanted or top in wanted


def reference(name: str) -> types.ModuleType:
    """The module ``name`` of a reference library; skips the calling test module when it cannot be
    imported, or fails it when the environment requires that library."""
    try:
        return LOADERS.get(name, lambda: importlib.import_module(name))()
    except Exception as exc:  # ImportError, or a library broken by its own dependencies
        if required(name):
            pytest.fail(f"{name} is required here (LRPLOT_REQUIRE) but cannot be imported: {exc}",
                        pytrace=False)
        pytest.skip(f"{name} is not installed: {exc}", allow_module_level=True)


def available(name: str) -> bool:
    """Whether ``name`` imports (for tests that only add a live check when it does)."""
    try:
        LOADERS.get(name, lambda: importlib.import_module(name))()
    except Exception:
        if required(name):
            raise
        return False
    return True
