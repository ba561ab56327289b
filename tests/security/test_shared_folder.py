"""Found by the red team: `Store` chmods whatever folder holds the database to 0700, not just the data folder.

bot/storage/sqlite.py `private_folder(path.parent)` runs for every database path, and tightens any folder the process
owns. With SMPOLICY_DB pointing into a shared folder (SMPOLICY_DB=/tmp/smpolicy.db in a container that runs as
root, a team share, the home folder), `smpolicy serve` (and every CLI command that opens the database) turns a
1777 folder into 0700: the sticky bit is gone and every other user and service loses the folder. SECURITY.md says
"the data folder is 0700"; it never says the bot may change the mode of folders that are not its own.
"""

from __future__ import annotations

import os
import stat

from adapters.server import create_app
from bot.settings import Settings


def test_a_shared_folder_holding_smpolicy_db_keeps_its_mode(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # like /tmp
    settings = Settings(data_dir=tmp_path / "data", db_path=shared / "smpolicy.db", quiz_rounds=False)
    create_app(settings)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777, oct(stat.S_IMODE(shared.stat().st_mode))
