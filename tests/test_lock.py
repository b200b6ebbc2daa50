"""requirements.lock pins what pyproject.toml asks for: every install (`make`, `.ci/run`) reads the
lock, so a dependency added to pyproject.toml alone would never be installed."""

import re
import tomllib

from helpers import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REGENERATE = "run `make lock` to regenerate requirements.lock"


def declared() -> dict[str, Requirement]:
    """The project's own requirements: its dependencies and its extras, but itself."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = project["dependencies"] + [line for extra in project["optional-dependencies"].values() for line in extra]
    requirements = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in requirements if canonicalize_name(r.name) != "news-assistant"}


def locked() -> tuple[dict[str, list[str]], set[str]]:
    """({package: its pinned versions (one per marker fork)}, the packages locked for pyproject.toml itself)."""
    pins: dict[str, list[str]] = {}
    direct, current = set(), None
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if pinned := re.match(r"([A-Za-z0-9._-]+)==([^\s;]+)", line):
            current = canonicalize_name(pinned[1])
            pins.setdefault(current, []).append(pinned[2])
        elif "news-assistant (pyproject.toml)" in line and current:
            direct.add(current)
    return pins, direct


def test_every_declared_dependency_is_locked_at_a_version_it_accepts():
    pins, _ = locked()
    missing = sorted(name for name in declared() if name not in pins)
    assert not missing, f"not in the lock: {', '.join(missing)}; {REGENERATE}"
    refused = sorted(f"{name} {pins[name]} (pyproject.toml: {requirement.specifier})"
                     for name, requirement in declared().items()
                     if not all(requirement.specifier.contains(version, prereleases=True) for version in pins[name]))
    assert not refused, f"locked versions pyproject.toml refuses: {'; '.join(refused)}; {REGENERATE}"


def test_the_lock_holds_no_dependency_that_pyproject_dropped():
    _, direct = locked()
    stale = sorted(direct - set(declared()))
    assert not stale, f"locked for pyproject.toml but no longer declared there: {', '.join(stale)}; {REGENERATE}"


def test_torch_is_the_cpu_release_the_makefile_installs_and_no_cuda_runtime_is_locked():
    pins, _ = locked()
    assert pins["torch"] == ["2.13.0"]
    cuda = sorted(name for name in pins if name.startswith(("nvidia-", "cuda-")) or name == "triton")
    assert not cuda, f"CUDA packages in the lock: {cuda}; add them to [tool.uv] exclude-dependencies"
