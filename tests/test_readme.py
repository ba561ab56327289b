"""The README's `smpolicy` commands work as written: each one parses, and the ones that need no server run."""

import re
import shlex
import subprocess
import sys

import pytest

from adapters.cli import build_parser
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def commands() -> list[str]:
    """Every `smpolicy ...` in a code block (continuation lines joined) or in inline code."""
    text = README.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        if line.startswith("    ") and "smpolicy " in line and not line.lstrip().startswith("#"):
            found.append(line.strip())
    found += [span for span in re.findall(r"`([^`\n]+)`", text) if re.search(r"\bsmpolicy [a-z-]", span)]
    out = []
    for raw in found:
        for part in re.split(r"\s*(?:&&|\|)\s*", raw.split("  #")[0]):
            words = part.split()
            while words and re.match(r"^[A-Za-z_]+=", words[0]):  # VAR=value prefixes
                words.pop(0)
            if words and words[0] in ("smpolicy", ".venv/bin/smpolicy"):
                out.append(" ".join(words))
    return sorted(set(out))


def test_the_readme_has_the_commands_it_promises():
    found = commands()
    for expected in ("smpolicy ask", "smpolicy check --fail-on", "smpolicy teams package", "smpolicy quiz stats --csv",
                     "smpolicy reports export", "smpolicy --version"):
        assert any(c.startswith(expected) for c in found), expected


@pytest.mark.parametrize("command", commands())
def test_each_command_parses(command):
    words = shlex.split(command.replace("<app id>", GUID).replace('"$(cat post.txt)"', '"a draft"'))[1:]
    if words in (["--version"], ["--help"]) or "--help" in words:
        return
    args = build_parser().parse_args(words)  # a SystemExit here means the README shows a command that doesn't exist
    assert callable(args.func)


@pytest.mark.parametrize("command", ["smpolicy ask \"can I post about our product launch?\"", "smpolicy --version",
                                     "smpolicy check \"Sneak peek: our unreleased v5 ships next month!\"", "smpolicy content check"])
def test_the_quick_ones_run(command):
    assert command in commands()
    result = subprocess.run([sys.executable, "-m", "adapters.cli", *shlex.split(command)[1:]], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.strip() and result.stderr == ""
