"""Draft kinds that used to pass as ok or only "review": mockery of a particular person, stereotypes about a
group, an open security weakness, another person's health or family, several concerns at once. The sentences
are written for these tests (not taken from any evaluation set)."""

import pytest

from bot.check.checker import Checker


@pytest.fixture(scope="module")
def checker(pack):
    return Checker(pack)


def _sections(result):
    return {f.section for f in result.findings}


@pytest.mark.parametrize("draft", [
    "Our vendor portal still lets anyone download invoices if you leave out the token. Fun times.",
    "Heads up: the staging admin panel is wide open and the default admin password still works.",
    "The billing API doesn't validate the account id, so you can export other tenants' data right now.",
])
def test_an_open_weakness_in_our_systems_is_do_not_post(checker, draft):
    result = checker.check(draft)
    assert result.verdict == "do_not_post" and "confidentiality-privacy" in _sections(result), result.findings


@pytest.mark.parametrize("draft", [
    "We patched the auth bypass in our API last month, the fix is in the public release notes.",
    "How to make sure your endpoints validate the token: a short guide.",
])
def test_fixed_or_general_security_advice_is_not_blocked(checker, draft):
    assert checker.check(draft).verdict != "do_not_post"


@pytest.mark.parametrize("draft", [
    "Priya from payroll is going through IVF, so please be patient with her this month.",
    "Quick update for the old crew: my coworker's been diagnosed with depression and is off for a while.",
])
def test_someone_elses_health_or_family_is_do_not_post(checker, draft):
    result = checker.check(draft)
    assert result.verdict == "do_not_post" and "confidentiality-privacy" in _sections(result), result.findings


def test_ones_own_health_is_not_blocked(checker):
    assert checker.check("Back at my desk after my own surgery, grateful to my team for covering.").verdict != "do_not_post"


@pytest.mark.parametrize("draft", [
    "Never hire offshore developers, they always deliver garbage.",
    "Gen Z engineers have no work ethic, sorry not sorry.",
])
def test_stereotypes_about_a_group_are_do_not_post(checker, draft):
    result = checker.check(draft)
    assert result.verdict == "do_not_post" and "respectful-discourse" in _sections(result), result.findings


@pytest.mark.parametrize("draft", [
    "Our new hire tried to explain Docker to the client for twenty minutes straight 💀",
    "Watching @sam_ops still can't find the logs again. Bless.",
])
def test_mocking_a_particular_person_is_at_least_review(checker, draft):
    result = checker.check(draft)
    assert result.verdict in ("review", "do_not_post") and "respectful-discourse" in _sections(result), result.findings


@pytest.mark.parametrize("draft", [
    "Our new hire shipped her first feature today, proud of her!",
    "Thanks to our manager for a great offsite, and to Sam from ops for the logistics.",
    "Our new API release is 🔥, the changelog is on the public docs site.",
])
def test_kind_words_about_people_are_ok(checker, draft):
    assert checker.check(draft).verdict == "ok", checker.check(draft).findings


def test_two_different_review_findings_make_do_not_post(checker):
    assert checker.check("Reading a good book on testing this weekend.").verdict == "ok"
    draft = "Overheard our intern bless him, still can't spell Kubernetes 💀. Also the ops dashboard doesn't check the login."
    assert checker.check(draft).verdict == "do_not_post"
