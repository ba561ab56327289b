"""`smpolicy teams package --app-id ID`: the Teams app package (manifest plus icons) as a zip to sideload.

The manifest's placeholders ({{APP_ID}}, {{VERSION}}, the developer's URLs and the app's names) are filled
from the options; the version is the installed package's, so every release uploads as a new app version.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
PROJECT = "https://github.com/smpolicy/smpolicy"


@dataclass(frozen=True)
class Listing:
    """What Teams shows about the app and its publisher (lengths are the manifest schema's limits)."""

    developer_name: str = "smpolicy"
    website_url: str = PROJECT
    privacy_url: str = PROJECT + "/blob/main/SECURITY.md"
    terms_url: str = PROJECT + "/blob/main/README.md"
    short_name: str = "Social Media Guidelines"
    full_name: str = "Social media guidelines: answers, draft checks, anonymous reports and quizzes"


LIMITS = {"developer_name": ("--developer-name", 32), "short_name": ("--short-name", 30), "full_name": ("--full-name", 100)}
URLS = {"website_url": "--website-url", "privacy_url": "--privacy-url", "terms_url": "--terms-url"}


def app_version() -> str:
    """The installed smpolicy-bot version, as the three-part semver Teams requires."""
    version = metadata.version("smpolicy-bot")
    if not SEMVER.match(version):
        raise ValueError(f"package version {version!r} is not MAJOR.MINOR.PATCH, which the Teams manifest requires")
    return version


def check_listing(listing: Listing) -> None:
    """Raise ValueError naming the option of the first value Teams would refuse."""
    for name, (option, limit) in LIMITS.items():
        value = getattr(listing, name)
        if not value.strip() or len(value) > limit:
            raise ValueError(f"{option}: {value!r} must be 1 to {limit} characters")
    for name, option in URLS.items():
        value = getattr(listing, name)
        if not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", value):
            raise ValueError(f"{option}: {value!r} is not an https:// URL")


def manifest(app_id: str, listing: Listing | None = None) -> dict:
    """The filled-in manifest for the bot registration `app_id` (a GUID)."""
    listing = listing or Listing()
    if not GUID.match(app_id):
        raise ValueError(f"--app-id: {app_id!r} is not a GUID like 00000000-0000-0000-0000-000000000000")
    check_listing(listing)
    values = {"APP_ID": app_id.lower(), "VERSION": app_version(), "DEVELOPER_NAME": listing.developer_name,
              "WEBSITE_URL": listing.website_url, "PRIVACY_URL": listing.privacy_url, "TERMS_URL": listing.terms_url,
              "SHORT_NAME": listing.short_name, "FULL_NAME": listing.full_name}
    text = (HERE / "manifest.json").read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", json.dumps(value)[1:-1])  # escaped as a JSON string's inside
    return json.loads(text)


def build(app_id: str, out: Path, listing: Listing | None = None) -> Path:
    """Write the package for the bot registration `app_id` to `out`."""
    data = manifest(app_id, listing)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(data, indent=2))
        z.write(HERE / "color.png", "color.png")
        z.write(HERE / "outline.png", "outline.png")
    return out
