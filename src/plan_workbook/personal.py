"""Personal data in partners' text: found before a board paper (which is published) is written.

Each pattern is deliberately narrow: a board paper with a false alarm costs the coordinator a glance, but a
pattern that fires on every action code or date would be ignored. Every pattern is listed in the README and
tested on true and false cases (`tests/test_personal.py`). `--redact` replaces what is found in the board page
and PDF only; the summary workbook is the coordinator's own record and keeps the text as typed.

A return's cells are scanned at once (`scan_many`): quick cues found in all of them joined point to the few cells
worth a pattern's regex, which then runs on each of those alone, exactly as on a single text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .plan import Plan
from .problems import Problem
from .reading.fixes import Action

# UK postcode areas (the letters before the first digit). A code such as "RA1 2AB" (an action numbered by its
# priority's initials) has the shape of a postcode but no such area, so it is not one.
POSTCODE_AREAS = frozenset(str.split("""
AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH EN EX FK
FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR
NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC
WD WF WN WR WS WV YO ZE
"""))
# Words that follow "victim" or "witness" in the names of services and schemes, not of people.
NOT_NAMES = frozenset(str.split("""
First Support Services Service Code Care Awareness Hub Voice Champions Champion Lead Leads Team Unit Officer
Officers Liaison Advocate Advocates Contact Centre Pathway Scheme Statement Statements Strategy Surveys Survey
Satisfaction Engagement Right Rights Commissioner Panel Group Groups Forum Board Week Day Month Fund Funding
Referral Referrals Journey Needs Assessment Assessments Feedback Information Personal Impact Offer
"""))

_DATE = r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?,?\s+\d{2,4}"
_NAME = r"[A-Z][a-z'’\-]+(?:\s+[A-Z][a-z'’\-]+)?"
_DIGIT = re.compile(r"\d")
_LETTER_DIGIT = re.compile(r"[A-Za-z]\d")
_CAPITAL_DIGIT = re.compile(r"[A-Z]\s?\d")
_CRIME_WORDS = ("crime", "incident", "occurrence", "log")
_ROLE_WORDS = ("victim", "witness", "suspect", "offender", "complainant", "perpetrator")
# Letters that (?i) matches to an ASCII letter but str.lower() does not lower to one.
_FOLDS = (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"), ("\u212a", "k"))
SEP = "\x00"  # joins a return's cells for the cues: no cue matches it, so none spans two cells
# A text's shape, for the cues on digits: a byte a character; every digit a 0, and so every character outside
# ASCII (a regex's \d or \s may match it; "replace" makes it a "?") and "?" itself; every ASCII space a " ".
# A cue reads 0 as a digit and [ 0] as a space.
_SHAPE = bytes.maketrans(b"123456789?\t\n\v\f\r\x1c\x1d\x1e\x1f", b"0" * 10 + b" " * 9)


def _lower(text: str) -> str:
    """`text` in the lower case that (?i) sees; one character stays one, so positions stay too."""
    for letter, ascii_letter in _FOLDS:
        if letter in text:  # str.translate would do it, but slowly on text outside ASCII
            text = text.replace(letter, ascii_letter)
    return text.lower()


class Joined:
    """A return's cells joined by SEP, for the cues: as typed (`text`), in the lower case that (?i) sees (`low`,
    for the patterns' words) and as a shape (`shape`, for their digits)."""

    def __init__(self, texts: list[str]) -> None:
        self.text = SEP.join(texts)
        self.ends: list[int] = []  # where each cell's next one starts
        at = 0
        for t in texts:
            at += len(t) + 1
            self.ends.append(at)

    @cached_property
    def low(self) -> str:
        return _lower(self.text)

    @cached_property
    def shape(self) -> bytes:
        return self.text.encode("ascii", "replace").translate(_SHAPE)

    def cell(self, at: int) -> int:
        """The cell that holds position `at`."""
        return bisect_right(self.ends, at)


# A pattern's cues: places in a Joined where it could match. Each cue must match wherever its pattern matches (it
# may match more, never less) and never match SEP; the tests check this against the scan of each text alone.
Cues = Callable[[Joined], Iterator[int]]


def _cues(text: tuple[str, ...] = (), low: tuple[str, ...] = (), shape: tuple[str, ...] = ()) -> Cues:
    """Cues found by regexes, each of which matches wherever the pattern does (and a little more), and starts
    with a literal so that the regex engine skips quickly to the few places it could."""
    in_text, in_low = [re.compile(r) for r in text], [re.compile(r) for r in low]
    in_shape = [re.compile(r.encode()) for r in shape]

    def cues(j: Joined) -> Iterator[int]:
        for rx in in_text:
            yield from (m.start() for m in rx.finditer(j.text))
        for rx in in_low:
            yield from (m.start() for m in rx.finditer(j.low))
        for rb in in_shape:
            yield from (m.start() for m in rb.finditer(j.shape))
    return cues


_ROLE_CUES = tuple(re.compile(rf"{w}s?[,:]?\s+") for w in _ROLE_WORDS)
_NAME_START = re.compile(r"[A-Z][a-z'’\-]")
_CALLED = re.compile(r"(?:named|called|is)\s+")
_TITLE_CUES = _cues(text=(r"M(?:rs?|s|iss|x)\.?\s+[A-Z][a-z'’\-]",))


def _name_cues(j: Joined) -> Iterator[int]:
    """A title, or a role word followed by what could start a name ("victim Ali", "victim named Ali")."""
    yield from _TITLE_CUES(j)
    for rx in _ROLE_CUES:
        for m in rx.finditer(j.low):
            called = _CALLED.match(j.low, m.end())
            if _NAME_START.match(j.text, m.end()) or (called and _NAME_START.match(j.text, called.end())):
                yield m.start()


# What follows a crime reference's words, in lower case: the reference's first digit.
_REF = r"\.?[\s:#.\-]*(?:is\s+)?[a-z]{0,4}[/\-*]?\d"
_REF_WORDS = r"\s*(?:ref(?:erence)?|number|no)"


@dataclass(frozen=True)
class Pattern:
    kind: str  # what it is, in a message: "an email address"
    label: str  # what replaces it under --redact: "[email address removed]"
    regex: re.Pattern[str]
    group: int = 0  # the part that is personal: the name after "victim", not the word "victim"; -1: the last found
    accept: Callable[[re.Match[str], frozenset[str]], bool] | None = None  # a further test of a match
    example: str = ""  # a true case, for the README
    not_example: str = ""  # a false case, for the README
    # What a text must have for the pattern to match at all (given the text, and its lower case as the regex's
    # (?i) sees it): most cells have none of it, and this test is many times quicker than the regex.
    needs: Callable[[str, str], bool] | None = None
    # Where in a return's cells, joined, this pattern could match (and a few places where it does not): found in
    # one quick pass over all of them, so that only the cells it points to are scanned with `regex`.
    cues: Callable[[Joined], Iterator[int]] | None = None


PATTERNS: tuple[Pattern, ...] = (
    Pattern("an email address", "[email removed]",
            re.compile(r"(?<![\w.+\-])[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
            example="j.smith@example.org", not_example="@LeicsPolice (a handle, no domain)",
            needs=lambda text, _: "@" in text, cues=_cues(text=("@",))),
    Pattern("a UK phone number", "[phone number removed]",
            re.compile(r"(?<![\w+])(?:\(0\d{2,4}\)\s?\d(?:[\s\-]?\d){4,7}"
                       r"|(?:\+44\s?(?:\(0\)\s?)?|0)\d(?:[\s\-]{0,2}\d){8,9})(?![\d/])"),
            example="0116 222 2222, +44 7700 900123", not_example="2021/22, 01/04/2022, 100000 leaflets",
            needs=lambda text, _: len(_DIGIT.findall(text)) >= 8,  # the shortest number: (01xx) and 5 digits
            # "(0", or 10 digits (0 and 9, or 44 and 8) with at most 2 spaces or dashes between each two
            cues=_cues(text=(r"\(0",), shape=(r"0(?:[ \-]{0,2}+0){9}",))),
    Pattern("a UK postcode", "[postcode removed]",
            re.compile(r"\b([A-Za-z]{1,2})\d[A-Za-z\d]?\s?\d[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}\b"),
            accept=lambda m, _: m.group(1).upper() in POSTCODE_AREAS,
            example="LE1 6ZG", not_example="RA1 2AB (an action code: RA is no postcode area)",
            needs=lambda text, _: _LETTER_DIGIT.search(text) is not None,
            cues=_cues(shape=(r"0[A-Za-z0]?[ 0]?0[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}",))),
    Pattern("a National Insurance number", "[NI number removed]",
            re.compile(r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"),
            example="AB 12 34 56 C", not_example="GB123456A (never issued), AB123456E (no such last letter)",
            needs=lambda text, _: _CAPITAL_DIGIT.search(text) is not None and len(_DIGIT.findall(text)) >= 6,
            cues=_cues(shape=(r"00[ 0]?00[ 0]?00[ 0]?[A-D]",))),
    Pattern("a police crime reference", "[crime reference removed]",
            re.compile(r"(?i:\b(?:crime|incident|occurrence|log)\s*(?:ref(?:erence)?|number|no)\b\.?|\bCRN\b|\bURN\b)"
                       r"[\s:#.\-]*(?:(?i:is)\s+)?([A-Z]{0,4}[/\-*]?\d[\dA-Z]*(?:[/\-*]\d[\dA-Z]*)*)"
                       r"|\b(\d{2}\*\d{5,})\b"),
            group=-1, example="crime ref 21*0123456, CRN: CR/012345/21",
            not_example="crime reference numbers are given to every victim",
            needs=lambda text, low: _DIGIT.search(text) is not None and (
                "*" in text or "crn" in low or "urn" in low or any(w in low for w in _CRIME_WORDS)),
            cues=_cues(low=(*(w + _REF_WORDS + _REF for w in _CRIME_WORDS), "crn" + _REF, "urn" + _REF),
                       shape=(r"00\*00000",))),
    Pattern("a date of birth", "[date of birth removed]",
            re.compile(rf"(?i:\bd\.?o\.?b\b\.?|\bdate\s+of\s+birth\b|\bborn(?:\s+on)?\b)[\s:\-]*({_DATE})"),
            group=1, example="DOB 02/03/1985, born on 2 March 1985", not_example="due 31/03/2022",
            needs=lambda text, low: _DIGIT.search(text) is not None and (
                "born" in low or "birth" in low or "dob" in low or "d.o" in low or "o.b" in low),
            cues=_cues(low=(r"b\.?[\s:\-]*\d", r"birth[\s:\-]*\d", r"born(?:\s+on)?[\s:\-]*\d"))),
    Pattern("a person's name", "[name removed]",
            re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+({_NAME})"
                       rf"|(?i:\b(?:victim|witness|suspect|offender|complainant|perpetrator)s?\b)[,:]?\s+"
                       rf"(?:(?i:named|called|is)\s+)?({_NAME})"),
            group=-1, accept=lambda m, partners: not _names_a_service(m, partners),
            example="Mrs Patel, the victim John Smith",
            not_example="Victim First, victim support, Victims' Code",
            needs=lambda text, low: any(w in text for w in ("Mr", "Ms", "Miss", "Mx"))
            or any(w in low for w in _ROLE_WORDS), cues=_name_cues),
)


@dataclass(frozen=True)
class Finding:
    kind: str
    label: str
    text: str  # what was found, exactly as typed
    start: int
    end: int


def scan(text: str, ignore: Iterable[str] = ()) -> list[Finding]:
    """Personal data in `text`, in order of position; `ignore` holds names that are never a person's (the
    plan's partners, such as 'Victim First'). Overlapping finds keep the earlier, longer one."""
    return scan_many([text], ignore)[0]


def scan_many(texts: Iterable[str], ignore: Iterable[str] = ()) -> list[list[Finding]]:
    """`scan` of each text, done at once: each pattern's cues are found in one pass over all the texts joined,
    and only the texts they point to are scanned with that pattern's regex."""
    ignored = _ignored(tuple(ignore))
    texts = list(texts)
    j = Joined(texts)
    cued: dict[int, list[Pattern]] = {}  # a text's place -> the patterns cued in it, in their order
    for p in PATTERNS:
        for n in range(len(texts)) if p.cues is None else sorted({j.cell(at) for at in p.cues(j)}):
            cued.setdefault(n, []).append(p)
    found: list[list[Finding]] = [[] for _ in texts]
    for n, patterns in cued.items():
        found[n] = _scan_text(texts[n], ignored, patterns)
    return found


def _scan_text(text: str, ignored: frozenset[str], patterns: Iterable[Pattern]) -> list[Finding]:
    """What `patterns` find in `text`, each regex run over the whole text."""
    low = _lower(text)
    found: list[Finding] = []
    for p in patterns:
        if p.needs is not None and not p.needs(text, low):
            continue
        for m in p.regex.finditer(text):
            if p.accept is not None and not p.accept(m, ignored):
                continue
            start, end = _span(m, p.group)
            found.append(Finding(p.kind, p.label, text[start:end], start, end))
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


@lru_cache(maxsize=16)
def _ignored(words: tuple[str, ...]) -> frozenset[str]:
    """The names to ignore, made once for the many cells of a merge (not once a cell)."""
    return frozenset(" ".join(w.split()).casefold() for w in words)


def redact(text: str, ignore: Iterable[str] = ()) -> str:
    """`text` with every finding replaced by its label, such as "[email removed]"."""
    out, at = [], 0
    for f in scan(text, ignore):
        out += [text[at:f.start], f.label]
        at = f.end
    return "".join([*out, text[at:]])


SCANNED = ("action", "update")  # the roles a board reads in full


def scan_actions(plan: Plan, actions: Iterable[Action]) -> list[Problem]:
    """A `personal-data` warning at each action or update cell that seems to hold personal data."""
    partners = tuple(w for p in plan.partners for w in (p.name, *p.aliases))
    cells = [(a, role) for a in actions for role in SCANNED]
    out = []
    texts = [str(a.values[role] or "") for a, role in cells]
    for (a, role), found in zip(cells, scan_many(texts, partners), strict=True):
        if found:
            kinds = ", ".join(dict.fromkeys(f.kind for f in found))
            out.append(Problem.of(a.row.file, a.row.sheet, a.row.cell(role), "personal-data", plan.column(role).header,
                                  "; ".join(f.text for f in found), kinds=kinds))
    return out


def _span(m: re.Match[str], group: int) -> tuple[int, int]:
    """The span of the personal part: group 0 is the whole match; -1 the last group that matched."""
    if group >= 0:
        return m.span(group)
    last = max(i for i in range(1, (m.re.groups or 0) + 1) if m.group(i) is not None)
    return m.span(last)


def _names_a_service(m: re.Match[str], partners: frozenset[str]) -> bool:
    """'Victim Support', 'witness Care Unit' or a partner's own name (such as 'Victim First'): not a person."""
    start, end = _span(m, -1)
    if m.string[start:end].split()[0] in NOT_NAMES:
        return True
    rest = " ".join(m.string[m.start():].split()).casefold()
    return any(rest.startswith(name) for name in partners)
