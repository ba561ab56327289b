"""`smpolicy teams package --app-id ID`: the Teams app package (manifest plus icons) as a zip to sideload."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def build(app_id: str, out: Path) -> Path:
    """Write the package for the bot registration `app_id` (a GUID) to `out`."""
    if not GUID.match(app_id):
        raise ValueError(f"--app-id: {app_id!r} is not a GUID like 00000000-0000-0000-0000-000000000000")
    manifest = json.loads((HERE / "manifest.json").read_text().replace("{{APP_ID}}", app_id.lower()))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest, indent=2))
        z.write(HERE / "color.png", "color.png")
        z.write(HERE / "outline.png", "outline.png")
    return out
