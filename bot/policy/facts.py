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

# Someone else as the one who acts ("a contractor is posting photos from the data centre", "my manager posts..."):
# the question tells what another person did, so the answer is what the guidelines say and how to report it,
# not a verdict on the asker's own conduct.
_ACTOR = (r"(?:(?:(?:my|a|the|our|one of (?:my|our|the)|this|some|an) )?(?:new |former |senior |junior |old )?"
          r"(?:colleague|coworker|co-worker|teammate|team mate|team member|manager|boss|contractor|intern|ex-employee|ex-colleague"
          r"|employee|guy|girl|person|desk neighbou?r|lead|team lead|director|vp|ceo|cto|engineer|dev|developer|staff member"
          r"|member of staff|recruiter|analyst|supervisor|peer)s?|someone|somebody|people (?:at|from|in) (?:work|the office|my team|our team))")
ANOTHER_ACTS = re.compile(
    r"\b" + _ACTOR + r"(?: (?:at|from|in|on) (?:work|the office|my team|our team|another team))?"
    r"(?: (?:just|has|have|had|is|are|was|were|keeps|kept|always|constantly|literally|again|also|still|openly|publicly|accidentally)){0,3}"
    r" (?:post|shar|leak|upload|tweet|put|wrote|writ|publish|livestream|stream|comment|tag|film|photograph|record|screenshot"
    r"|sen[dt]|spread|bash|trash|mock|insult|harass|troll|is on|are on|was on|spends|left|leav|past|dump|dox|expos|reveal|drop|brag"
    r"|vent|rant|made fun|make fun|joke)")


def tells_of_another(question: str) -> bool:
    """Whether the question tells what someone else did rather than asking what the asker may do."""
    folded = fold(question)
    return ANOTHER_ACTS.search(folded) is not None and ASKING.search(folded) is None


def stated(topic: Topic, question: str) -> tuple[bool, bool]:
    """What the question itself says about the topic's condition: (not met, already public). "Before it's
    announced" turns "it depends" into "not allowed"; "it was in the press release" turns a confidentiality
    "not allowed" into "it depends"."""
    folded = fold(question)
    unmet = UNMET_CONDITION.search(folded) is not None
    public = (topic.verdict == "not_allowed" and topic.section.split(".")[0] in PUBLIC_SOFTENS and not unmet
              and ALREADY_PUBLIC.search(folded) is not None)
    return topic.verdict == "conditional" and unmet, public
