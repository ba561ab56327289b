"""What a question itself says that moves a verdict: a condition it says is not met ("before it's announced",
"without asking them"), information it says is public already ("it was in the press release"), and whether it
asks permission at all ("can I...") rather than telling what someone else did."""

from __future__ import annotations

import re

from bot.policy.pack import Topic
from bot.policy.text import fold

# A condition the question itself says is not met turns "it depends" into "not allowed".
UNMET_CONDITION = re.compile(
    r"\bwithout (?:(?:first )?ask|consent|permission|approval|authori[sz]|a licen[cs]e|their (?:ok|okay|consent|permission|approval)|telling|checking)"
    r"|\bbefore (?:(?:it is|it'?s|they are|the|we|our|it|they|marketing|comms|hr|leadership|management|the company|\w+) )?(?:(?:officially|publicly|formally) )?"
    r"(?:(?:press |news )?(?:announc|public|official|release|launch)|go(?:es)? live|tell|told)"
    r"|\b(?:not|isn'?t|hasn'?t been|haven'?t been|wasn'?t|not yet been|never been) (?:yet )?(?:officially |publicly |formally )?(?:announced|public|released|published)"
    r"|\b(?:hasn'?t|haven'?t|has not|have not|hadn'?t|didn'?t) (?:yet )?(?:announced|told|shared|published|released|made (?:it |this )?public|gone public)"
    r"|\b(?:isn'?t|is not|not) (?:public|official) yet\b",
)

# The question itself says the information is public already ("it was in yesterday's press release"): what is
# confidential until announced becomes "it depends" (share the public material, add nothing to it).
ALREADY_PUBLIC = re.compile(
    r"\b(?:press release|news release"
    r"|(?:already|been|was|were|is|are) (?:been )?(?:officially |publicly )?(?:announced|public|published|released|launched)"
    r"|(?:publicly|officially) (?:announced|available|released|posted|published)"
    r"|(?:posted|shared|published) (?:it |them |this )?publicly"
    r"|(?:in|on|from) (?:our|the|their) public (?:investor|annual|earnings|quarterly|filing|report|website|docs|documentation|repo|blog|page|presentation)"
    r"|(?:after|once|now that) (?:it'?s |it is |it was |they(?:'ve| have) |we(?:'ve| have) )?(?:officially |publicly )?(?:announced|public|launched|released|published))")
PUBLIC_SOFTENS = ("confidentiality-privacy",)  # guidelines whose "not allowed" is about what is not public yet

# Asking permission anywhere in the question ("I saw X, can I share it too?", "is accepting it ok?") is not a report.
ASKING = re.compile(r"(?<!who )(?<!where )(?<!what )(?<!how )\b(?:can|could|may) (?:i|we)\b|\b(?:am i|are we|is it) (?:allowed|ok|okay|fine)\b"
                    r"|\bis \w+ing\b[^.?!]{0,30}\b(?:ok|okay|fine|allowed|alright)\b")

# Asking leave, or naming the rules: "write reviews of our own product, ok?" asks whether one may, whatever it opens with.
ASKS_LEAVE = re.compile(r"\b(?:can|could|may|should|shall) (?:i|we)\b|\b(?:am i|are we|is it|is that|is this|would it be|r we|do i|does the)\b"
                        r"|\b(?:allowed|permitted|permission|ok|okay|fine|alright|against|polic(?:y|ies)|guidelines?|rules?|approval|avoid)\b")

# Someone else as the one who acts ("a contractor is posting photos from the data centre", "my manager posts..."):
# the question tells what another person did, so the answer is what the guidelines say and how to report it,
# not a verdict on the asker's own conduct.
_DETERMINER = r"(?:my|a|the|our|one of (?:my|our|the)|this|some|an|that)"
_PERSON = (r"(?:colleague|coworker|co-worker|co worker|teammate|team mate|team member|manager|boss|contractor|intern|ex-employee"
           r"|ex-colleague|employee|guy|girl|person|desk neighbou?r|lead|team lead|director|vp|ceo|cto|cfo|pm|founder|engineer|dev"
           r"|developer|staff member|member of staff|recruiter|analyst|supervisor|peer|mate from work|new hire|new starter|hr lady|hr guy)")
ANOTHER_ACTS = re.compile(
    r"\b(?P<actor>(?:(?P<det>" + _DETERMINER + r") )?(?:new |former |senior |junior |old )?" + _PERSON + r"(?P<plural>s)?"
    r"|someone|somebody|people (?:at|from|in) (?:work|the office|my team|our team))"
    r"(?: of (?:mine|ours))?(?:,? [a-z]+,?)?(?: (?:at|from|in|on) (?:work|the office|my team|our team|another team|\w+))?"
    r"(?: (?:just|has|have|had|been|is|are|was|were|keeps|kept|keeps on|always|constantly|literally|again|also|still|openly|publicly"
    r"|accidentally)){0,3}"
    r" (?:post|repost|shar|leak|upload|tweet|retweet|put|wrote|writ|publish|livestream|stream|comment|tag|film|photograph|record"
    r"|screenshot|sen[dt]|spread|bash|trash|mock|insult|harass|troll|is on|are on|was on|spends|left|leav|past|dump|dox|expos"
    r"|reveal|drop|brag|vent|rant|made fun|make fun|joke|dm|sell|sold|liked|likes|uses|said on|says on)")
# The asker's own plan or question ("should I reshare it?", "ok if i share it?"): not a report, whoever else it names.
OWN_ASK = re.compile(r"(?<!what )(?<!who )(?<!how )(?<!where )(?<!when )\b(?:should|shall|do|would|will|must|can|cn|could|may) (?:i|we)\b"
                     r"(?! (?:tell|report|say something|speak up|flag|escalate|let|talk to|go to|contact|warn|do\b))|\bcani\b|\bmind if i\b|\br we\b|\bif i\b|\bwanna\b"
                     r"|\b(?:ok|okay|fine|alright) (?:if|for) (?:i|me|us|we)\b|\bwould it be\b"
                     r"|\bi (?:want|wanna|would like|'d like|plan|am planning|'m planning|m planning|need|have) to\b"
                     r"|\b(?:is|was) (?:it|that|this) (?:ok|okay|fine|alright|allowed) (?:if|for|to)\b")
# Who the actor is not: the asker ("I'm a contractor posting..."), people in general ("can contractors share..."),
# a case supposed ("what happens if an employee posts...").
NOT_ANOTHER = re.compile(r"(?:\b(?:i'?m|i am|im|as|being)(?: (?:an?|the))?|\b(?:if|when|whether|what if|in case)|\bme and|\bi and) $")
# Before people in general: "can contractors share...", "do employees post..." (a plural after a question word).
GENERAL = re.compile(r"\b(?:can|could|may|might|should|do|does|are|will|would|must|if|when|whether|all|most|many) $")


def tells_of_another(question: str) -> bool:
    """Whether the question tells what someone else did rather than asking what the asker may do."""
    folded = fold(question)
    if ASKING.search(folded) or OWN_ASK.search(folded):
        return False
    for m in ANOTHER_ACTS.finditer(folded):
        before = folded[max(0, m.start() - 12):m.start()]
        if m.group("plural") and not m.group("det") and GENERAL.search(before):
            continue  # "can contractors share photos": people in general, not what someone did
        if NOT_ANOTHER.search(before):
            continue
        return True
    return False


def stated(topic: Topic, question: str) -> tuple[bool, bool]:
    """What the question itself says about the topic's condition: (not met, already public). "Before it's
    announced" turns "it depends" into "not allowed"; "it was in the press release" turns a confidentiality
    "not allowed" into "it depends"."""
    folded = fold(question)
    unmet = UNMET_CONDITION.search(folded) is not None
    public = (topic.verdict == "not_allowed" and topic.section.split(".")[0] in PUBLIC_SOFTENS and not unmet
              and ALREADY_PUBLIC.search(folded) is not None)
    return topic.verdict == "conditional" and unmet, public
