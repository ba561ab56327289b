"""requirements.lock (the container's dependencies, with hashes) matches pyproject.toml."""

import hashlib
import json
import re
import tomllib

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

LOCK = (ROOT / "requirements.lock").read_text()
DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
IMAGE = {**default_environment(), "python_version": "3.11", "python_full_version": "3.11.0", "sys_platform": "linux",
         "platform_system": "Linux", "os_name": "posix"}


def pins() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every entry in the lock."""
    entries = {}
    for block in re.split(r"\n(?=\S)", LOCK):
        match = re.match(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", block)
        if match:
            entries[canonicalize_name(match[1])] = (match[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


def test_the_lock_was_made_from_these_dependencies():
    stamp = re.search(r"^# dependencies-sha256: ([0-9a-f]{64})$", LOCK, re.M)
    assert stamp, "requirements.lock has no dependencies stamp: run scripts/lock.sh"
    assert stamp[1] == hashlib.sha256(json.dumps(sorted(DEPENDENCIES)).encode()).hexdigest(), \
        "pyproject.toml's dependencies changed since the lock was made: run scripts/lock.sh"


def test_every_dependency_is_pinned_within_its_range_and_every_pin_has_hashes():
    locked = pins()
    assert len(locked) >= len(DEPENDENCIES)
    for spec in DEPENDENCIES:
        requirement = Requirement(spec)
        if requirement.marker and not requirement.marker.evaluate(IMAGE):
            continue  # e.g. tzdata on Windows only
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock: run scripts/lock.sh"
        assert requirement.specifier.contains(locked[name][0], prereleases=True), f"{name}=={locked[name][0]} is outside {spec}"
    assert all(hashes for _, hashes in locked.values()), "every pin needs --hash lines (pip --require-hashes)"


def test_the_image_installs_from_the_lock_with_hashes_as_a_numeric_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY requirements.lock" in dockerfile and "--require-hashes" in dockerfile
    assert "--no-deps" in dockerfile  # the wheel itself adds nothing the lock didn't pin
    assert re.search(r"^USER 10001:10001$", dockerfile, re.M)
    for label in ("title", "description", "source", "licenses", "version"):
        assert f"org.opencontainers.image.{label}=" in dockerfile
