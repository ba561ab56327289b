"""Reports and cases reach a database only through bot/storage: no driver, no old store, no SQL of their own."""

from __future__ import annotations

import re

from tests.test_layout import ROOT, imported_modules

DRIVERS = ("sqlite3", "sqlite_utils", "psycopg", "psycopg_pool", "bot.store")
MODULES = [*sorted((ROOT / "bot/reports").glob("*.py")), ROOT / "adapters/notifier.py"]
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b")


def test_report_modules_use_the_storage_layer_only():
    assert len(MODULES) > 5
    offenders = {str(m.relative_to(ROOT)): sorted(n for n in imported_modules(m) if n.startswith(DRIVERS)) for m in MODULES}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert [str(m.relative_to(ROOT)) for m in MODULES if SQL.search(m.read_text(encoding="utf-8"))] == []


def test_the_checker_sees_a_driver_and_sql(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('import sqlite3\nfrom bot.store import Store\nQ = "SELECT ref FROM reports"\n')
    assert {"sqlite3", "bot.store"} <= imported_modules(bad) and SQL.search(bad.read_text())
