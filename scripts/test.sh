#!/usr/bin/env bash
# Install everything the tests need, then lint and run every test. Used by CI (.ci/run) as is.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
# The browser tests drive Debian's Chromium (never a downloaded browser build); the storage tests start a real
# PostgreSQL server from Debian's package (tests/pg_server.py), and fail, never skip, without one.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/mypy  # over bot/ and adapters/ ([tool.mypy] in pyproject.toml): no errors
# Dependency audit: fails on any known vulnerability in what we install (no accepted exceptions).
# Where the vulnerability service can't be reached, pip-audit "passes" while checking nothing: say so plainly.
audit=$(mktemp)
if ! .venv/bin/pip-audit --skip-editable --progress-spinner off --desc off >"$audit" 2>&1; then cat "$audit"; exit 1; fi
unchecked=$(grep -c 'could not be audited' "$audit" || true)
if [ "$unchecked" -gt 0 ]; then
  echo "pip-audit: NOT AUDITED: the vulnerability service could not be reached ($unchecked package(s) unchecked); run it where it can be reached before a release"
else
  echo "pip-audit: $(head -n 1 "$audit")"
fi
rm -f "$audit"
.venv/bin/python -m pytest -q "$@"
