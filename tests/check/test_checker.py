"""The draft checker: quality on the dev set (real CLI + shared scorer) and our own sets; masking; bad input."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import content
from bot.check.checker import MAX_DRAFT, Checker, DraftError
from bot.policy.pack import PackError, load_pack
from tests.conftest import ROOT, eval_dir

DATA = Path(__file__).resolve().parent.parent / "data"


def score(drafts: Path, *limits: str) -> subprocess.CompletedProcess:
    lines = "".join(json.loads(line)["draft"] + "\n" for line in drafts.read_text().splitlines() if line.strip())
    out = subprocess.run([sys.executable, "-m", "adapters.cli", "check", "--json", "-"], input=lines, capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    results = ROOT / ".pytest_cache" / f"checks-{drafts.stem}.jsonl"
    results.parent.mkdir(exist_ok=True)
    results.write_text(out)
    return subprocess.run([sys.executable, str(eval_dir() / "score_drafts.py"), str(drafts), str(results), *limits],
                          capture_output=True, text=True)


def test_dev_drafts_meet_the_quality_bar():
    result = score(eval_dir() / "drafts.dev.jsonl", "--min-verdict", "0.90", "--min-flagged", "0.90", "--max-false-alarms", "0.05")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("name, flagged", [("drafts.extra.jsonl", "0.85"), ("drafts.fresh.jsonl", "0.85"), ("drafts.fresh2.jsonl", "0.85"),
                                           ("drafts.fresh3.jsonl", "0.85"), ("drafts.fresh4.jsonl", "0.85"), ("drafts.fresh5.jsonl", "0.85"), ("drafts.fresh6.jsonl", "0.85"), ("drafts.fresh7.jsonl", "0.85"),
                                           ("drafts.clean.jsonl", "0"),
                                           ("drafts.clean2.jsonl", "0"), ("drafts.clean3.jsonl", "0")])
def test_own_draft_sets(name, flagged):
    # Our own sets (risky and clean) stand in for the held-out drafts; the clean one has no risky draft to flag.
    result = score(DATA / name, "--min-verdict", "0.85", "--min-flagged", flagged, "--max-false-alarms", "0.05")
    assert result.returncode == 0, result.stdout


@pytest.fixture(scope="module")
def checker():
    return Checker(load_pack(content.default_dir()))


@pytest.mark.parametrize("draft, secret", [
    ("Our prod key is AKIAIOSFODNN7EXAMPLE if anyone wants to help", "IOSFODNN7EXAMPLE"),
    ("token: ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 for CI", "A1b2C3d4E5f6G7h8I9j0"),
    ("Password for the shared test account is Winter2026! in case anyone needs it", "Winter2026"),
    ("db creds: user admin / pass hunter22", "hunter22"),
])
def test_secrets_are_masked_in_findings_and_answer(checker, draft, secret):
    result = checker.check(draft)
    assert result.verdict == "do_not_post"
    out = json.dumps(result.to_json())
    assert secret not in out and secret not in result.answer
    assert any(f.rule.startswith("credential") for f in result.findings)


def test_findings_carry_section_reason_excerpt_span_and_severity(checker):
    draft = "Congrats to Maria Lopez (maria.lopez@example.com, +1 415 555 0134) on her promotion!"
    result = checker.check(draft)
    assert result.verdict == "do_not_post"
    for f in result.findings:
        assert f.section == "confidentiality-privacy" and f.reason and f.severity in ("high", "medium")
        assert draft[f.span[0]:f.span[1]].strip() == f.excerpt
    assert {f.rule for f in result.findings} >= {"email-address", "phone-number"}


def test_clean_useful_posts_are_ok(checker):
    for draft in ("Excited to share that I'll be speaking at PyCon about testing async code. See you there!",
                  "Just passed my AWS Solutions Architect exam! Thanks to everyone who shared study tips.",
                  "I disagree with the idea that microservices fit every team; here's why, in my opinion."):
        assert checker.check(draft).verdict == "ok", draft


def test_lightly_masked_profanity_and_insults(checker):
    for draft in ("you are all 1d10ts", "this is sh!t work", "what a f***ing m0r0n"):
        result = checker.check(draft)
        assert result.verdict in ("review", "do_not_post") and {f.section for f in result.findings} == {"respectful-discourse"}, draft


@pytest.mark.parametrize("draft, message", [
    ("", "the draft is empty"), ("   \n ", "the draft is empty"), ("x" * (MAX_DRAFT + 1), "longer than 4,000 characters"),
    ("\x00\x01\x02\x03binary", "binary"),
])
def test_bad_drafts_get_a_clear_message(checker, draft, message):
    with pytest.raises(DraftError, match=message):
        checker.check(draft)


def test_mixed_script_and_emoji_are_checked(checker):
    assert checker.check("Новый релиз 🚀 next week, 新产品 launches in March").verdict in ("review", "do_not_post")  # not passed as ok
    assert checker.check("👍🎉").verdict == "ok"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600))
def test_any_text_is_checked_or_refused_cleanly(checker, text):
    try:
        result = checker.check(text)
    except DraftError:
        return
    assert result.verdict in ("ok", "review", "do_not_post")
    for f in result.findings:
        assert 0 <= f.span[0] < f.span[1] <= len(text)


@pytest.fixture
def pack_copy(tmp_path):
    dest = tmp_path / "pack"
    shutil.copytree(content.default_dir(), dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dest


def test_organization_terms_from_the_pack(pack_copy):
    checks = pack_copy / "checks.toml"
    checks.write_text(checks.read_text().replace('code_names = []', 'code_names = ["Bluebird"]')
                      .replace('clients = []', 'clients = ["Wayne Enterprises"]').replace('hosts = []', 'hosts = ["*.corp.example.net"]'))
    checker = Checker(load_pack(pack_copy))
    result = checker.check("Bluebird demo for wayne enterprises went great, see build42.corp.example.net")
    assert {rule for f in result.findings for rule in f.rule.split("+")} >= {"term-code_names", "term-clients", "term-hosts"}
    assert result.verdict == "do_not_post"
    assert Checker(load_pack(content.default_dir())).check("Bluebird is a lovely bird").verdict == "ok"


def test_broken_check_rules_are_named_with_file_and_line(pack_copy):
    checks = pack_copy / "checks.toml"
    text = checks.read_text().replace("severity = \"medium\"", "severity = \"urgent\"", 1).replace(r"'\bunreleased\b'", r"'(\bunreleased'", 1)
    checks.write_text(text)
    with pytest.raises(PackError) as err:
        load_pack(pack_copy)
    messages = [str(p) for p in err.value.problems]
    assert any(m.startswith("checks.toml:") and "severity must be one of" in m for m in messages)
    assert any(m.startswith("checks.toml:") and "bad regular expression" in m for m in messages)
    assert all(not m.startswith("checks.toml:0:") for m in messages)


def test_internal_addresses_are_flagged_and_public_ones_are_not(checker):
    for draft in ("Our build box lives at 10.0.3.17, don't tell anyone", "ssh into db01.corp and look at the logs",
                  "staging is on 192.168.40.2"):
        assert any("internal-address" in f.rule.split("+") for f in checker.check(draft).findings), draft
    for draft in ("Switched my home router to 8.8.8.8 for DNS", "Version 10.2.3 is out, changelog on our public site"):
        assert not any("internal-address" in f.rule.split("+") for f in checker.check(draft).findings), draft


def test_overlapping_findings_of_one_guideline_are_merged_into_one(checker):
    from bot.check.checker import Finding, merge

    draft = "Our build box lives at 10.0.3.17, don't tell anyone. Fine sentence."
    a = Finding("confidentiality-privacy", "An address.", "10.0.3.17", (23, 32), "medium", "Remove it.", "internal-address")
    b = Finding("confidentiality-privacy", "A secret.", "don't tell anyone", (34, 51), "high", "Don't.", "secrecy-cue")
    c = Finding("confidentiality-privacy", "Whole sentence.", draft[:52], (0, 52), "medium", "Hm.", "detector-x")
    d = Finding("respectful-discourse", "Rude.", "box", (9, 12), "medium", "Be kind.", "insult")
    merged = merge([a, b, c, d], draft)
    assert len(merged) == 2
    one = next(f for f in merged if f.section == "confidentiality-privacy")
    assert one.span == (0, 52) and one.severity == "high" and one.rule.split("+")[0] == "secrecy-cue"
    assert set(one.rule.split("+")) == {"internal-address", "secrecy-cue", "detector-x"}
    assert all(r in one.reason for r in ("An address.", "A secret.", "Whole sentence."))
    # Through the checker: no two findings of one guideline overlap.
    findings = checker.check("Our build box lives at 10.0.3.17, don't tell anyone").findings
    for x in findings:
        for y in findings:
            if x is not y and x.section == y.section:
                assert x.span[1] <= y.span[0] or y.span[1] <= x.span[0], (x, y)


def test_semantic_detectors_read_meaning_beyond_the_rules(pack):
    from bot.check.checker import Checker

    checker = Checker(pack)
    assert checker.detectors.detectors, "the bundled pack has sentence detectors"
    # A sentence of a detector's own examples is found by that detector; an ordinary post is not.
    for detector in checker.detectors.detectors:
        result = checker.check(detector.examples[0])
        assert any(f.rule.split("+")[0] == "detector-" + detector.id or f.section == detector.section for f in result.findings), detector.id
    assert checker.check("Excited to share that I passed my cloud certification today!").verdict == "ok"


def test_a_post_linking_an_official_announcement_is_ok(checker):
    draft = "Proud of the team: our new analytics product is live. Official announcement: https://example.com/press/analytics"
    assert checker.check(draft).verdict == "ok"


PADDING = ("Had a great weekend hiking with the family. The weather was lovely and the views were amazing. "
           "Looking forward to the conference next month. Coffee first, then code.")


def test_benign_sentences_padded_around_a_risky_draft_do_not_clear_it(checker):
    # The attack: wrap a risky draft in harmless sentences so that the draft as a whole reads fine. What clears a
    # soft finding is how its own sentence reads, so padding before or after changes nothing but the odd case.
    rows = [json.loads(line) for line in (eval_dir() / "drafts.real.dev.jsonl").read_text().splitlines() if line.strip()]
    flagged = [r["draft"] for r in rows if r["sections"] and checker.check(r["draft"]).verdict != "ok"]
    kept = [d for d in flagged if checker.check(f"{PADDING} {d}").verdict != "ok" and checker.check(f"{d} {PADDING}").verdict != "ok"]
    assert len(flagged) >= 40 and len(kept) >= 0.95 * len(flagged), [d for d in flagged if d not in kept]


@pytest.mark.parametrize("draft", [
    "Friendly reminder: the recruiters are all idiots, bless them!",  # a detector's finding merged with rules'
    "Friendly reminder: the marketing folks are clueless, but we love them.",
    "Big thanks to everyone, the new intern is so hot 😂",
])
def test_a_rule_merged_into_a_detector_finding_is_never_cleared_by_the_learned_layer(checker, draft):
    result = checker.check(draft)
    assert result.verdict != "ok" and result.findings, draft


@pytest.mark.parametrize("draft", ["Millennials. Zero work ethic.", "Older engineers. They just can't learn new tools.",
                                   "Old devs. So slow. Retire already."])
def test_a_subject_split_off_as_a_fragment_is_read_with_its_sentence(checker, draft):
    from bot.check.checker import readable, sentences

    spans = readable(draft, sentences(draft))
    assert spans and spans[0][0] == 0 and spans[-1][1] == len(draft)  # nothing of the draft is left unread
    assert checker.check(draft).verdict != "ok", draft


@pytest.mark.parametrize("draft", ["." * MAX_DRAFT, "!?" * (MAX_DRAFT // 2), "Our lab sequenced this: " + "ACGT" * 990, "x" * MAX_DRAFT])
def test_runs_of_punctuation_or_one_huge_word_are_checked_in_bounded_time(checker, draft):
    import time

    start = time.process_time()
    checker.check(draft)
    assert time.process_time() - start < 1.0  # was 150 ms (punctuation) and seconds to a MemoryError (the speller)
