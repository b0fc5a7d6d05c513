"""The words of the grading rules (``grading``'s docstring), and names as word keys.

Titles and their spellings (rule 6), the words that start an explanation (rule 10a), the signs
of a hedge, an alternative or a self-correction (rule 10b), filler words (rule 10c), negation
(rule 8), statement words (rule 13) and answer-format placeholders (rule 5); ``name_key``
turns a name into the folded words it is matched by.
"""

from __future__ import annotations

import functools
import re

from .folding import fold

__all__ = [
    "ABBREVIATIONS",
    "AUXILIARIES",
    "CONDITIONALS",
    "CONNECTIVES",
    "DOUBTS",
    "FILLERS",
    "NEGATORS",
    "PLACEHOLDERS",
    "POST_NEGATIVES",
    "QUANTIFIERS",
    "SCOPE_ENDS",
    "SIGNAL_CHARS",
    "SIGNAL_WORDS",
    "STATEMENT_WORDS",
    "TITLES",
    "TITLE_FORMS",
    "WORD_RE",
    "name_key",
]

WORD_RE = re.compile(r"[^\W_]+")

# Titles written out or abbreviated name the same person: "Colonel Mustard" is "Col. Mustard".
TITLE_FORMS = {
    "mr": ("mr", "mister"),
    "mrs": ("mrs", "missus"),
    "dr": ("dr", "doctor"),
    "prof": ("prof", "professor"),
    "col": ("col", "colonel"),
    "sgt": ("sgt", "sergeant"),
    "rev": ("rev", "reverend"),
    "capt": ("capt", "captain"),
    "lt": ("lt", "lieutenant"),
    "mme": ("mme", "madame"),
    "mlle": ("mlle", "mademoiselle"),
    "gen": ("gen", "general"),
    "maj": ("maj", "major"),
    "insp": ("insp", "inspector"),
    "det": ("det", "detective"),
    "cmdr": ("cmdr", "commander"),
}
_TITLE_ALIASES = {long: short for short, forms in TITLE_FORMS.items() for long in forms if long != short}
# First words that make a candidate a person's name, whose last word is then a surname.
TITLES = frozenset(
    [form for forms in TITLE_FORMS.values() for form in forms]
    + "miss ms mx sir lady lord dame madam monsieur m herr frau senor senora signor signora don dona".split()
    + "father mother sister brother uncle aunt nurse chef judge count countess baron baroness duke".split()
    + "duchess prince princess king queen officer agent chief admiral engineer pilot cadet medic".split()
    + "botanist scientist ensign private corporal marshal sheriff constable butler maid cook".split()
)
ABBREVIATIONS = frozenset(
    [*TITLE_FORMS, "ms", "st", "mx", "no", "vs", "jr", "sr", "am", "pm", "m", "mm", "etc", "approx", "e", "g", "i"]
)

# Rule 10: words that end the head of an answer and start an explanation.
CONNECTIVES = frozenset(
    "because since as given due based according per while whilst whereas with which who whose whom where when"
    " considering seeing after before in at on from for by near inside within using holding carrying having"
    " cause cos coz thanks".split()
)
# Rule 10b: a hedge, an alternative, doubt, a self-correction or a joint answer.
SIGNAL_WORDS = frozenset(
    "or either whether vs versus maybe perhaps possibly possible probably probable likely unlikely plausible"
    " plausibly conceivably conceivable could might may would should alternatively alternative alternatives"
    " otherwise unless else if also too well second backup guess guessing chance chances odds percent"
    " uncertain unsure sure certain confident doubt doubtful unclear equally tie tied toss between contender"
    " candidate candidates option options runner choice choices pick picks choose chose go going prefer"
    " lean leaning favor favour favorite favourite vote bet think thought believe reckon say"
    " actually wait hold correction correct corrected correcting rather instead mean meant scratch sorry oops"
    " hmm um uh change changed changing revise revised revising reconsider reconsidering update updated"
    " final finally really though although however but nope answer answers solution murderer"
    " killer culprit guilty responsible perpetrator did done together along alongside plus help helped"
    " helping accomplice accomplices assisted assist partner jointly conspired committed possibility"
    " possibilities potential potentially presumably arguably suppose supposing assume assuming hunch feeling"
    " gut instinct fact reflection hindsight retract review revisit make".split()
)
SIGNAL_CHARS = frozenset("/?%=><+&→⇒⟶⟹➔➜➝➞➡↦")
# Rule 10c: words that do not make a clause say anything besides the name.
FILLERS = frozenset(
    "the a an it its is was were are be been being am s d ll ve re m t i me my mine we us our you your he"
    " him his she her hers they them their this that these those there here one ones person suspect"
    " suspects and so then yes yeah yep ok okay definitely certainly clearly surely obviously indeed"
    " absolutely just only simply very quite pretty most more much all am pm of to had has have do does".split()
)
# Rule 8: negation.
NEGATORS = frozenset("not never cannot except excluding without nobody none nothing noone".split())
QUANTIFIERS = frozenset("anyone anybody anything everyone everybody everything all nobody none nothing one".split())
SCOPE_ENDS = frozenset(
    "but though although however yet because since as while whilst whereas which who whose so then actually"
    " wait instead rather".split()
)
POST_NEGATIVES = frozenset(
    "not never cannot ruled eliminated excluded innocent cleared impossible wrong incorrect false".split()
)
AUXILIARIES = frozenset(
    "is was are were be been being s has have had can could must should would will may might does did do"
    " definitely certainly clearly surely obviously also just simply then therefore thus".split()
)
DOUBTS = frozenset("sure certain confident positive clear convinced known".split())
CONDITIONALS = frozenset(["if", "unless", "whether"])
# Rule 13: words that make a clause a statement when there are no options to tell names.
STATEMENT_WORDS = frozenset(
    "is was were are be been has had have did does do it its he she they them his her their there this that"
    " which who not never no".split()
)
# Rule 5: placeholder words of an answer-format template.
PLACEHOLDERS = frozenset(
    w + s
    for w in "suspect weapon room time motive name person place location answer choice option".split()
    for s in ("", "s")
) | {"your", "final", "here", "the"}


def _tokens(text: str) -> list[str]:
    """Folded words of ``text``, punctuation and markdown dropped, titles unified."""
    words = WORD_RE.findall(fold(text))
    if _TITLE_ALIASES.keys().isdisjoint(words):
        return words
    return [_TITLE_ALIASES.get(w, w) for w in words]


def _padded(tokens: list[str]) -> str:
    """Words joined and padded with spaces, so " x " finds the whole word x."""
    return " " + " ".join(tokens) + " "


@functools.lru_cache(maxsize=8192)
def name_key(text: str) -> str:
    """The padded words of a name, less a leading "the": "The Lead Pipe" -> " lead pipe "."""
    tokens = _tokens(text)
    while len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    return _padded(tokens)
