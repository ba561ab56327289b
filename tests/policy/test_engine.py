"""Answer quality (dev set through the real CLI and the shared scorer) and bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.policy.engine import MAX_QUESTION, QuestionError
from tests.conftest import ROOT, eval_dir

DATA = Path(__file__).resolve().parent.parent / "data"


def run_set(questions: Path, *limits: str) -> subprocess.CompletedProcess:
    lines = "".join(json.loads(line)["question"] + "\n" for line in questions.read_text().splitlines() if line.strip())
    answers = subprocess.run([sys.executable, "-m", "adapters.cli", "ask", "--json", "-"], input=lines,
                             capture_output=True, text=True, cwd=ROOT, check=True).stdout
    path = ROOT / ".pytest_cache" / f"answers-{questions.stem}.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_text(answers)
    return subprocess.run([sys.executable, str(eval_dir() / "score.py"), str(questions), str(path), *limits],
                          capture_output=True, text=True)


def test_dev_set_meets_the_quality_bar():
    result = run_set(eval_dir() / "policy-questions.dev.jsonl", "--min-section", "0.95", "--min-verdict", "0.90",
                     "--min-refused", "0.95", "--max-false-refusals", "0.03")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("name", ["paraphrases.jsonl", "paraphrases2.jsonl", "paraphrases3.jsonl", "paraphrases4.jsonl", "paraphrases5.jsonl", "paraphrases6.jsonl",
                                  "paraphrases7.jsonl", "paraphrases8.jsonl", "paraphrases9.jsonl",
                                  "paraphrases10.jsonl", "paraphrases11.jsonl", "paraphrases12.jsonl", "paraphrases13.jsonl"])
def test_own_paraphrase_sets_generalize(name):
    # Written by us with other platforms, typos and indirect phrasing; lower bars than the dev set
    # because they stand in for the held-out set and are not all in the examples.
    result = run_set(DATA / name, "--min-section", "0.85", "--min-verdict", "0.85", "--min-refused", "0.6",
                     "--max-false-refusals", "0.05")
    assert result.returncode == 0, result.stdout


def test_answer_shape_and_quote(engine, pack):
    answer = engine.answer("Can I tweet a screenshot of our internal dashboard?").to_json()
    assert set(answer) == {"verdict", "section", "answer", "citations", "confidence", "policy_version"}
    assert answer["verdict"] == "not_allowed" and answer["section"] == "confidentiality-privacy"
    assert answer["answer"].startswith("Not allowed.")
    quote = answer["citations"][0]["quote"]
    assert quote in pack.sections["confidentiality-privacy"].text
    assert 0 < answer["confidence"] <= 1 and answer["policy_version"] == pack.version


@pytest.mark.parametrize("question", [
    "can I park in the visitor lot", "how many vacation days do I have", "how do I install Docker",
    "what's the wifi password", "Can I bring my cat to work?", "Where is the training room?",
    "When is the next onboarding workshop?",
])
def test_out_of_scope_is_refused_with_a_contact(engine, question):
    answer = engine.answer(question)
    assert answer.verdict == "unknown" and answer.section is None and answer.citations == ()
    assert "ask" in answer.answer.lower() and answer.ask


def test_contact_is_configurable(pack):
    from bot.policy.engine import Engine

    engine = Engine(pack, contact="Jamie in People Ops")
    assert "Jamie in People Ops" in engine.answer("Where do I find the canteen menu?").answer


def test_unmet_condition_turns_it_depends_into_not_allowed(engine):
    assert engine.answer("Can I post a group photo of my team?").verdict == "conditional"
    assert engine.answer("Can I post a group photo of my team without asking them?").verdict == "not_allowed"


def test_a_described_violation_offers_the_report(engine):
    answer = engine.answer("A coworker posted client data on Reddit")
    assert answer.section.startswith("reporting") and answer.offer_report
    assert not engine.answer("Can I follow tech experts on LinkedIn?").offer_report


@pytest.mark.parametrize("question", [
    "\U0001F600\U0001F600\U0001F680", "\u0647\u0644 \u064a\u0645\u0643\u0646\u0646\u064a \u0627\u0644\u0646\u0634\u0631 \u0639\u0644\u0649 \u062a\u0648\u064a\u062a\u0631\u061f",
    "Puis-je poster une photo de mes coll\u00e8gues sur LinkedIn?", "\x00\x01\x02binary\xff\xfe",
    "a" * MAX_QUESTION, "can I post " * 150,
])
def test_odd_input_gets_an_answer_never_a_traceback(engine, question):
    answer = engine.answer(question)
    assert answer.verdict in {"allowed", "not_allowed", "conditional", "info", "unknown"}


@pytest.mark.parametrize("question", ["", "   \n\t", "\x00\x00", "x" * (MAX_QUESTION + 1)])
def test_empty_or_huge_is_a_clear_refusal(engine, question):
    with pytest.raises(QuestionError):
        engine.answer(question)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_answers_or_refuses_cleanly(engine, text):
    try:
        answer = engine.answer(text)
    except QuestionError:
        return
    assert answer.verdict in {"allowed", "not_allowed", "conditional", "info", "unknown"}
    assert answer.answer and (answer.section is None) == (answer.verdict == "unknown")


def test_what_someone_else_did_is_answered_with_how_to_report_it(engine):
    for question in ("Someone on my team keeps sharing sexist memes on Instagram, what do I do?",
                     "I saw a colleague post our client's contract on Reddit, who do I tell?"):
        answer = engine.answer(question)
        assert answer.section == "reporting" and answer.offer_report, question
    # Asking for oneself is not a report, even with the same words in it.
    assert engine.answer("Can I share sexist memes on Instagram?").section == "respectful-discourse"


@pytest.mark.parametrize("question", [
    "a colleague of mine posted our roadmap on twitter",
    "my colleague Sarah posted photos of the whiteboard",
    "colleagues are posting the internal org chart on linkedin",
    "a new hire posted his badge photo on instagram",
])
def test_other_ways_of_naming_who_did_it_are_read_as_another_persons_conduct(question):
    from bot.policy.facts import tells_of_another

    assert tells_of_another(question)


@pytest.mark.parametrize("question", [
    "a contractor is posting photos from inside our server room on insta",
    "an ex-employee is posting our internal docs on reddit",
    "just saw a colleague post a customer's phone number in a tweet, what do i do",
])
def test_another_persons_conduct_gets_the_rule_and_the_report_not_a_verdict_on_the_asker(engine, question):
    from bot.policy.facts import tells_of_another

    assert tells_of_another(question)
    answer = engine.answer(question)
    assert answer.verdict == "info" and answer.offer_report and answer.section == "reporting"
    assert answer.citations and all(c.quote in answer.answer for c in answer.citations)


def test_what_another_did_cites_how_to_report_and_the_rule_they_may_have_broken(engine, pack):
    broken = next(t for t in pack.topics if t.section.startswith("confidentiality-privacy") and t.verdict == "not_allowed")
    answer = engine.writer.witnessed(broken, engine._report_topic, 0.7)
    assert answer.verdict == "info" and answer.kind == "general" and answer.offer_report and "someone else's conduct" in answer.answer
    assert [c.section for c in answer.citations] == ["reporting", broken.section] and "they may have broken" in answer.answer
    assert all(c.quote in answer.answer for c in answer.citations)


@pytest.mark.parametrize("question", [
    "my manager sent me a friend request on facebook. is accepting it ok?",  # the asker's own act
    "can I repost what my colleague posted about the launch?",
    "im on linkedin 2 hrs a day and my lead made a comment, is that too much",
    "shared a meme about my team in a subreddit, someone said it was rude. is that a policy thing?",
    # From the red team: the asker's own plan, however it is asked, and people in general or supposed.
    "my colleague posted the roadmap on linkedin, should i reshare it?",
    "my manager posted a job opening, ok if i share it?",
    "Our director posted the job opening, cn i share it on my profile?",
    "I'm a contractor posting photos from the data centre on my instagram, is that allowed?",
    "me and a colleague are posting a talk recording on youtube, anything to watch out for?",
    "Can contractors share photos from the data centre?",
    "what happens if an employee posts confidential info?",
])
def test_asking_for_oneself_is_not_telling_of_another(question):
    from bot.policy.facts import tells_of_another

    assert not tells_of_another(question)


def test_typos_are_repaired_but_other_forms_of_known_words_are_not(engine):
    correct = engine.normalizer.correct
    assert correct("linkdin") == "linkedin" and correct("survelliance") == "surveillance"
    for word in ("reposted", "tweeted", "livestreamed"):  # once "reported", "tweeter" and "livestream"
        assert correct(word) == word
    for word in ("banner", "hiking", "mentoring", "attaching", "wasting"):  # English words, once "banter", "hiring",
        assert correct(word) == word                                        # "monitoring", "attacking", "waiting"
    assert engine.answer("Can I post about mentoring juniors on LinkedIn?").section != "monitoring"
    assert engine.answer("I reposted our company's hiring post, is that fine?").section != "reporting"


def test_a_company_word_right_before_a_platform_reads_as_a_work_account(engine):
    features = engine.normalizer.features
    assert "~work_account" in features("Can I use our corporate Instagram for my friend's bakery?")
    assert "~work_account" in features("my employer's TikTok")
    assert "~work_account" not in features("can I post about my company on LinkedIn")
    assert engine.answer("Can I promote my side business on our corporate Instagram?").section == "separate-accounts"


# ------------------------------------------------------------------ issue 14: scope, honesty, the semantic layer

@pytest.mark.parametrize("message", ["thanks!", "hi there", "who are you?"])
def test_small_talk_gets_a_friendly_line_not_a_refusal(engine, message):
    answer = engine.answer(message)
    assert answer.verdict == "unknown" and answer.kind == "smalltalk"
    assert "Not covered" not in answer.answer and "Verdict" not in answer.answer


@pytest.mark.parametrize("message, contact", [
    ("write a thread about my new job", "Communications"),
    ("how do I change my username on reddit", "IT"),
])
def test_requests_for_content_and_how_tos_are_not_policy_questions(engine, message, contact):
    answer = engine.answer(message)
    assert answer.verdict == "unknown" and answer.section is None and contact in answer.answer


@pytest.mark.parametrize("message", [
    "write me a LinkedIn post about passing my Azure exam",
    "hey pls draft a tweet for our product launch next week",
    "give me 5 hashtags for a post about our volunteering day",
    "make this tweet funnier: 'shipped v2 today'",
])
def test_a_request_for_content_is_known_by_its_opening_whatever_its_words(engine, message):
    answer = engine.answer(message)
    assert answer.verdict == "unknown" and "I don't write content" in answer.answer and "Communications" in answer.answer


@pytest.mark.parametrize("question", [
    "quick question: write reviews of our own product on g2, ok?",  # opens like a request, asks leave
    "polish government is our client, can I mention it on linkedin?",
    "make my title say senior engineer on linkedin even tho im mid level?",
    "summarise what i can and cant post about clients",
    "write about my job on my personal blog, is that ok?",
])
def test_a_question_that_only_opens_like_a_request_for_content_is_still_answered(engine, question):
    assert engine._opened(question) is None


def test_scope_examples_are_pack_data(pack):
    kinds = {o.kind for o in pack.offtopics}
    assert {"fact", "howto", "smalltalk", "write", "other-policy"} <= kinds


def test_an_unsure_answer_says_so_and_shows_two_guidelines(engine, monkeypatch):
    monkeypatch.setattr(engine, "UNSURE", 1.01)  # every answer below it: the unsure path, whatever the question
    answer = engine.answer("Can I tweet a screenshot of our internal dashboard?")
    assert answer.kind == "unsure" and "not sure" in answer.answer
    assert len(answer.citations) == 2 and answer.citations[0].section != answer.citations[1].section
    assert len(answer.to_json()["citations"]) == 2


def test_no_listed_situation_answers_from_the_governing_guideline(engine, monkeypatch):
    monkeypatch.setattr(engine, "SITUATION_MIN", 99.0)  # no situation is close enough: the governing guideline answers, "it depends"
    monkeypatch.setattr(engine, "FIRM", 1.1)  # and the learned verdict model is never sure enough to say more
    answer = engine.answer("Can I tweet a screenshot of our internal dashboard?")
    assert answer.verdict == "conditional" and answer.kind == "general" and answer.section == "confidentiality-privacy"
    assert "don't list this exact situation" in answer.answer


def test_a_weak_match_that_asks_what_the_guidelines_say_gets_the_governing_guideline(engine, monkeypatch):
    monkeypatch.setattr(engine, "SITUATION_MIN", 99.0)
    monkeypatch.setattr(engine, "FIRM", 0.0)
    # The verdict model says "info", and no situation under the guideline has that verdict: the guideline answers.
    monkeypatch.setattr(engine, "topic_verdicts", ["allowed" if v == "info" else v for v in engine.topic_verdicts])
    monkeypatch.setattr(engine.verdicts, "probabilities_of", lambda *a: np.array([float(c == "info") for c in engine.verdicts.classes]))
    answer = engine.answer("what does the policy say about following thought leaders?")
    assert answer.verdict == "info" and answer.kind == "general"
    section = engine.pack.section(answer.section)
    assert section.text in answer.answer and "don't list this exact situation" in answer.answer


def test_a_sure_verdict_model_answers_a_weak_match_from_a_situation_of_the_same_guideline(engine, monkeypatch):
    monkeypatch.setattr(engine, "SITUATION_MIN", 99.0)
    monkeypatch.setattr(engine, "FIRM", 0.0)  # always sure: the closest situation with the model's verdict answers
    question = "Can I tweet a screenshot of our internal dashboard?"
    answer = engine.answer(question)
    p = engine.verdicts.probabilities_of(*engine._query(engine.normalizer.features(question)), engine.encoder.encode_one(question))
    wanted = engine.verdicts.classes[int(p.argmax())]
    assert answer.kind == "general" and answer.section.startswith("confidentiality-privacy")
    assert answer.verdict == wanted or wanted == "conditional"
    label = {"allowed": "Allowed", "not_allowed": "Not allowed", "conditional": "It depends", "info": "Here is what"}[answer.verdict]
    assert answer.answer.startswith(label)  # the words and the verdict come from one situation: they agree


def test_confidence_is_calibrated_from_the_pack(pack):
    from bot.policy.calibration import FEATURES

    assert set(pack.calibration.models) == {"answer", "unknown"}
    assert all(len(m.weights) == len(FEATURES) for m in pack.calibration.models.values())


def test_confidence_of_0_8_is_right_at_least_92_percent_on_the_realistic_dev_set(engine):
    from bench.quality import read, score_questions

    scores = score_questions(engine, read(str(eval_dir() / "policy-questions.real.dev.jsonl")))
    # share: confident answers must exist (a calibration that is never sure would pass the precision trivially);
    # fitted on features of questions the learned layer had not seen, about one answer in eleven is this sure
    assert scores["conf80_precision"] >= 0.92 and scores["conf80_share"] >= 0.06


def test_realistic_dev_set_stays_above_its_measured_floor(engine):
    # Not the targets (those are for hidden sets): a floor a little under today's figures, so a
    # change that makes the engine worse on realistic questions is noticed.
    from bench.quality import read, score_questions

    s = score_questions(engine, read(str(eval_dir() / "policy-questions.real.dev.jsonl")))
    assert s["section"] >= 0.68 and s["verdict"] >= 0.70 and s["refused"] >= 0.75 and s["false_refusals"] <= 0.04


def test_the_embeddings_are_checked_against_their_recorded_hash(tmp_path):
    import shutil

    from bot.policy.semantic import MODEL_DIR, Encoder, ModelError

    for name in ("source.json", "tokenizer.json"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    raw = bytearray((MODEL_DIR / "embeddings.npy").read_bytes())
    raw[-1] ^= 1
    (tmp_path / "embeddings.npy").write_bytes(bytes(raw))
    with pytest.raises(ModelError, match="SHA-256"):
        Encoder(["a"], tmp_path)


def test_the_semantic_layer_meets_paraphrases_with_no_shared_word(engine):
    a, b, c = engine.encoder.encode(["can I share our unreleased roadmap", "may I post the upcoming product plans", "my laptop fan is loud"])
    assert float(a @ b) > float(a @ c)


def test_our_wordpiece_matches_the_reference_tokenizer():
    tokenizers = pytest.importorskip("tokenizers")
    from bot.policy.semantic import MODEL_DIR, _load

    _, ours, _ = _load(str(MODEL_DIR))
    reference = tokenizers.Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    reference.no_padding()
    reference.no_truncation()
    texts = [json.loads(line).get("question") or json.loads(line).get("draft")
             for f in sorted(eval_dir().glob("*.jsonl")) + sorted(DATA.glob("*.jsonl")) for line in f.read_text().splitlines() if line.strip()]
    texts += ["Café naïve résumé — “quoted” 東京 emoji 😀 tab\there", "x" * 150, "AKIAIOSFODNN7EXAMPLE ghp_abc/def:ghi",
              "a\u200bb \x07ctrl", "ﬁne ½ Ⅻ", "LinkedIn's #hashtags & @mentions!!"]
    for text in texts:
        assert ours.ids(text) == reference.encode(text, add_special_tokens=False).ids, text


def test_cards_for_small_talk_and_unsure_answers(engine, monkeypatch):
    from bot.core import answer_reply

    small = answer_reply(engine.answer("thanks!"))
    assert small.card.badge == "" and not small.card.title and small.card.body == small.text
    monkeypatch.setattr(engine, "UNSURE", 1.01)
    unsure = answer_reply(engine.answer("Can I tweet a screenshot of our internal dashboard?"))
    names = [name for name, _ in unsure.card.fields]
    assert unsure.card.badge == "not_allowed" and names == ["Guideline", "Or perhaps"]
    assert unsure.card.title.count("Not allowed") == 1 and "not sure" in unsure.card.body


@pytest.mark.parametrize("question", ["".join(chr(97 + (i * 7919) % 26) for i in range(1900)), "\ufb01" * MAX_QUESTION])
def test_one_huge_word_is_answered_without_the_speller_blowing_up(engine, question):
    import time

    start = time.process_time()
    engine.answer(question)
    assert time.process_time() - start < 1.0  # the speller's deletes of a 1,900-letter word: 17 s and 3.4 GB
