"""Property-based tests on every parser of outside input: nothing but the documented errors ever escapes."""

import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import content
from adapters.cli import build_parser, main
from adapters.slack import inbound as slack_in
from adapters.teams import inbound as teams_in
from bot.policy.pack import PackError, load_pack
from bot.reports.flow import validate as validate_report

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
                    max_leaves=25)
KEYS = st.sampled_from(["team_id", "user_id", "channel_id", "text", "user", "id", "actions", "action_id", "value", "view", "state",
                        "values", "private_metadata", "team", "channel", "container", "type", "selected_option", "event"])
LIKELY = st.recursive(st.text(max_size=20) | st.none() | st.integers(),
                      lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=6), max_leaves=30)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.one_of(JSON, LIKELY))
def test_slack_payload_parsers(body):
    for parse in (slack_in.from_command, slack_in.from_block_action, slack_in.from_view_submission):
        try:
            incoming = parse(body) if isinstance(body, dict) else parse({"x": body})
        except slack_in.PayloadError:
            continue
        assert incoming.channel == "slack" and incoming.user_key.startswith("slack:")


@FAST
@given(st.one_of(JSON, LIKELY))
def test_slack_message_event_parser(event):
    try:
        incoming = slack_in.from_message({"team_id": "T1"}, event if isinstance(event, dict) else {})
    except slack_in.PayloadError:
        return
    assert incoming.text is not None


ACTIVITY_KEYS = st.sampled_from(["type", "serviceUrl", "conversation", "id", "from", "recipient", "text", "value", "membersAdded",
                                 "channelData", "tenant", "aadObjectId", "action_id", "tenantId"])
ACTIVITY = st.recursive(st.text(max_size=20) | st.none() | st.integers(),
                        lambda children: st.lists(children, max_size=3) | st.dictionaries(ACTIVITY_KEYS, children, max_size=7), max_leaves=30)


@FAST
@given(st.one_of(JSON, ACTIVITY))
def test_teams_activity_parser(body):
    try:
        activity = teams_in.validate(body)
    except teams_in.ActivityError:
        return
    if activity["type"] == "message":
        incoming = teams_in.to_incoming(activity)
        assert incoming.user_key.startswith("teams:")
    teams_in.bot_was_added(activity)
    teams_in.team_of(activity)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.text(max_size=12), st.text(max_size=5000), max_size=8))
def test_report_form_validation(pack, form):
    errors = validate_report(form, pack)
    assert isinstance(errors, dict)
    assert ("what" in errors) == (not form.get("what", "").strip() or len(form.get("what", "")) > 4000)


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory):
    dest = tmp_path_factory.mktemp("pack") / "pack"
    shutil.copytree(content.default_dir(), dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dest


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.sampled_from(["answers.toml", "quiz.toml", "checks.toml", "pack.toml", "lexicon.toml", "policy.md"]),
       st.one_of(st.text(max_size=400), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_content_pack_parsers(pack_dir, name, text):
    path = pack_dir / name
    original = path.read_text()
    try:
        path.write_text(text)
        try:
            load_pack(pack_dir)
        except PackError as err:
            assert err.problems and all(p.file for p in err.problems)
    finally:
        path.write_text(original)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["ask", "check", "content", "reports", "quiz", "teams", "serve", "--json", "-", "--port",
                                            "list", "show", "stats", "package", "--app-id", "--csv", "--days", "purge"]),
                          st.text(max_size=20)), max_size=5))
def test_command_line_arguments_parse_or_exit_cleanly(argv):
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:
        assert exc.code in (0, 2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["ask", "check"]), text=st.text(max_size=200))
def test_ask_and_check_with_any_text(capsys, command, text):
    if text == "-" or text.startswith("-"):
        return
    code = main([command, "--json", text])
    captured = capsys.readouterr()
    if code == 0:
        assert json.loads(captured.out)["verdict"]
    else:
        assert code == 2 and captured.err.startswith(f"smpolicy {command}:")


@given(st.one_of(st.text(max_size=300), st.text(alphabet="ab=&+%2F0c;\u00e9", max_size=60)))
def test_slack_form_bodies_parse_like_the_standard_library(body):
    from urllib.parse import parse_qsl

    assert slack_in.form_fields(body) == dict(parse_qsl(body, keep_blank_values=True))
