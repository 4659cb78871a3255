"""Issue 17, safe to publish: the personal-data patterns on true and false cases, and the scan of real returns."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import hypothesis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import RA, SC, MakeReturn, action
from plan_workbook import personal
from plan_workbook.merge import check_returns
from plan_workbook.personal import NOT_NAMES, PATTERNS, Finding, redact, scan, scan_actions, scan_many
from plan_workbook.plan import Plan

PARTNERS = ["Victim First", "Victim Support"]

TRUE_CASES = [
    ("Email j.smith@example.org for details", "an email address", "j.smith@example.org"),
    ("Contact jo+hate@police.uk", "an email address", "jo+hate@police.uk"),
    ("Ring 0116 222 2222 to book", "a UK phone number", "0116 222 2222"),
    ("Mobile 07700 900123", "a UK phone number", "07700 900123"),
    ("call +44 7700 900123 today", "a UK phone number", "+44 7700 900123"),
    ("tel (0116) 496-0000", "a UK phone number", "(0116) 496-0000"),
    ("He lives at LE1 6ZG now", "a UK postcode", "LE1 6ZG"),
    ("flat in le5 4pw", "a UK postcode", "le5 4pw"),
    ("NI number AB 12 34 56 C", "a National Insurance number", "AB 12 34 56 C"),
    ("ni JT123456A", "a National Insurance number", "JT123456A"),
    ("crime ref 21*0123456 logged", "a police crime reference", "21*0123456"),
    ("CRN: CR/012345/21", "a police crime reference", "CR/012345/21"),
    ("urn 4512345/22 given", "a police crime reference", "4512345/22"),  # any case, as the pattern reads it
    ("Crime number 4512345/22 passed on", "a police crime reference", "4512345/22"),
    ("incident no. 1234 of 05/03/2022", "a police crime reference", "1234"),
    ("DOB 02/03/1985", "a date of birth", "02/03/1985"),
    ("born on 2 March 1985", "a date of birth", "2 March 1985"),
    ("date of birth: 14-07-02", "a date of birth", "14-07-02"),
    ("Met Mrs Patel at the hub", "a person's name", "Patel"),
    ("Mr. John Smith attended", "a person's name", "John Smith"),
    ("Spoke with the victim John Smith", "a person's name", "John Smith"),
    ("the victim, Sarah, said", "a person's name", "Sarah"),
    ("Witness named Ali Khan", "a person's name", "Ali Khan"),
]

FALSE_CASES = [
    "Q3 2021/22 stall and 2022/23 plan",  # quarters and financial years are not phone numbers
    "Due 31/03/2022, held 01/04/2022",  # dates are not phone numbers, nor dates of birth without the word
    "Print 100000 leaflets; 0116 is the city code",  # a count; a dialling code alone
    "Action RA1 2AB complete",  # an action code shaped like a postcode: RA is no postcode area
    "Priority SC2 1AA and IR3 4BD",  # the same for the plan's other priorities
    "LE1 is the city centre",  # half a postcode locates no one
    "GB123456A and AB123456E",  # an NI prefix never issued; a last letter NI numbers never have
    "Crime reference numbers are now given to every victim",  # the words with no reference
    "Reduce repeat crime by 10% in 2022",
    "Follow @LeicsPolice and visit example.org",  # a handle and a web address are not email addresses
    "Victim First and Victim Support run the hub",  # partners named after victims
    "victim support improved; Victims' Code leaflets",
    "The victim was supported by Victim Services",
    "born out of the 2021 review",  # "born" with no date
    "MR and MRS leaflets",  # no name follows
]


@pytest.mark.parametrize(("text", "kind", "found"), TRUE_CASES)
def test_personal_data_found(text: str, kind: str, found: str) -> None:
    assert [(f.kind, f.text) for f in scan(text, PARTNERS)] == [(kind, found)]
    assert found not in redact(text, PARTNERS)
    assert next(p.label for p in PATTERNS if p.kind == kind) in redact(text, PARTNERS)


@pytest.mark.parametrize("text", FALSE_CASES)
def test_not_personal_data(text: str) -> None:
    assert scan(text, PARTNERS) == []
    assert redact(text, PARTNERS) == text


def test_every_pattern_has_true_and_false_cases() -> None:
    kinds = {kind for _, kind, _ in TRUE_CASES}
    assert kinds == {p.kind for p in PATTERNS}
    for p in PATTERNS:  # the README's examples are true and false cases too
        assert p.example
        assert p.not_example
        for word in p.not_example.split(", "):
            assert not [f for f in scan(word.split(" (")[0], PARTNERS) if f.kind == p.kind], (p.kind, word)


def test_redact_keeps_the_rest_of_the_text() -> None:
    text = "Mrs Patel (0116 222 2222) reported it; crime ref 21*0123456."
    assert redact(text, PARTNERS) == ("Mrs [name removed] ([phone number removed]) reported it; crime ref "
                                      "[crime reference removed].")


def test_scan_of_real_returns(plan: Plan, make_return: MakeReturn) -> None:
    """A warning at each action or update cell holding personal data; none for a clean return."""
    path = make_return(rows={RA: [action("Visit Mrs Patel at LE1 6ZG", update="Booked"),
                                  action("Run a stall in Victim First's hub", status="Red",
                                         update="Call 07700 900123 or j.smith@example.org")],
                             SC: [action("Stall RA1 2AB", update="Done 31/03/2022 by Victim Support")]})
    result = check_returns(plan, [path])
    found = [(p.sheet, p.cell, p.code, p.severity, p.value) for p in scan_actions(plan, result.actions)]
    first = plan.priorities[0].examples
    row = 5 + len(first)  # the template's first input row on Raising Awareness
    assert found == [(RA, f"D{row}", "personal-data", "warning", "Patel; LE1 6ZG"),
                     (RA, f"H{row + 1}", "personal-data", "warning", "07700 900123; j.smith@example.org")]
    clean = make_return("clean", rows={RA: [action("Run a stall", update="Held on 3 March 2022")]})
    assert scan_actions(plan, check_returns(plan, [clean]).actions) == []


def test_message_says_what_and_how(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [action("Call DOB 02/03/1985", update="x")]})
    (p,) = scan_actions(plan, check_returns(plan, [path]).actions)
    assert "a date of birth" in p.message
    assert "--redact" in p.message
    assert Path(p.file).name == "return.xlsx"


def test_readme_lists_every_pattern_as_the_code_has_it() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (an? [^|]+) \| ([^|]+) \| ([^|]+) \| `([^`]+)` \|$", readme, re.MULTILINE)
    assert rows == [(p.kind, p.example, p.not_example, p.label) for p in PATTERNS]
    for p in PATTERNS:  # each example is found as that kind of data
        for example in p.example.split(", "):
            assert p.kind in {f.kind for f in scan(example, PARTNERS)}, example


# The scan as it was before the cues (issue 18), each pattern's regex run over every text: what scan_many must find.
FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def scan_each_text(text: str, ignore: list[str]) -> list[Finding]:
    ignored = frozenset(" ".join(w.split()).casefold() for w in ignore)
    low = text.translate(FOLD).lower()
    found = []
    for p in PATTERNS:
        if p.needs is not None and not p.needs(text, low):
            continue
        for m in p.regex.finditer(text):
            if p.accept is None or p.accept(m, ignored):
                start, end = m.span(p.group) if p.group >= 0 else m.span(m.lastindex or 0)
                found.append(Finding(p.kind, p.label, text[start:end], start, end))
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


# Pieces that make every pattern match or nearly match, in any case, beside the characters that could join
# them wrongly: the separator of the joined texts itself, spaces and digits outside ASCII, letters (?i) folds.
TOKENS = [
    "j.smith@example.org", "jo+hate@police.uk", "@LeicsPolice", "example.org", "a@b", "x@y.z",
    "0116 222 2222", "07700 900123", "+44 7700 900123", "+44 (0)116 222 2222", "(0116) 496-0000", "(0116)4960000",
    "0 1 1 6 2 2 2 2 2 2", "01234 56789", "+44 (0)7700 90012", "07700-900-123", "0116  222  2222", "0116",
    "2021/22", "01/04/2022", "100000",
    "LE1 6ZG", "6ZG", "le5 4pw", "RA1 2AB", "SC2 1AA", "EC1A 1BB", "W1 1AA", "LE1", "LE16ZG", "B33 8TH",
    "AB 12 34 56 C", "JT123456A", "GB123456A", "AB123456E", "ab123456c",
    "crime ref", "crime reference", "Crime number", "incident no.", "log no", "LOG NUMBER", "occurrence ref",
    "CRN", "crn", "URN:", "urn", "21*0123456", "CR/012345/21", "4512345/22", "is", "is 1234", "#",
    "DOB", "D.O.B.", "d.o.b", "dob:", "date of birth", "Date  of Birth", "born", "born on", "BORN ON",
    "02/03/1985", "2 March 1985", "14-07-02", "3rd Jan. 2000",
    "Mr", "Mrs.", "Ms", "Miss", "Mx", "MR", "victim", "victims", "Victim", "VICTIM", "witness", "suspect",
    "offender", "complainant", "perpetrator", "named", "called", "Is", "is Ali", "named Ali Khan", "John",
    "Smith", "Patel", "O'Neil", "Ali-Khan", "Victim First", "Victim Support", *sorted(NOT_NAMES)[:12],
    "\u0130", "\u0131", "\u017f", "\u212a", "v\u0131ctim", "V\u0130CT\u0130M", "\u017fuspect", "\u212ax",
    "\x00", "\n", "\r\n", "\t", "\xa0", "\u2009", "\x1c", "?", "\u2019", "\u2013", "\u00e9", "\u03a3",
    "\u0663", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
]
JOINS = [" ", " ", "  ", "", ", ", ": ", "-", "/", ".", "(", ")", "+", "*", "0", "7", "12", "\n", "\x00", "\xa0"]
SPACES = [" ", "  ", "", "\xa0", "\u2009", "\t", "\n", "\x1c", "\x00", "-"]
TO_ARABIC_DIGITS = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")


def folded(dotless: str, t: str) -> str:
    return t.replace("i", dotless).replace("s", "\u017f").replace("k", "\u212a")


def spaced(space: str, t: str) -> str:
    return t.replace(" ", space)


def arabic_digits(t: str) -> str:
    return t.translate(TO_ARABIC_DIGITS)


# Each token in another case, with other spaces or digits, or with the letters (?i) folds.
FORMS: list[Callable[[str], str]] = [str, str.upper, str.lower, str.title, arabic_digits,
                                     *(partial(folded, i) for i in ("\u0131", "\u0130")),
                                     *(partial(spaced, s) for s in SPACES)]


@st.composite
def pieces(draw: st.DrawFn) -> str:
    """A token, perhaps in another form, and what joins it to the next."""
    t = draw(st.sampled_from(TOKENS) | st.text(max_size=2))
    return draw(st.sampled_from(FORMS))(t) + draw(st.sampled_from(JOINS))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(pieces(), max_size=8).map("".join), max_size=8))
@hypothesis.example(["crn 1234", "Crime ref 21*0123456"])  # lower-case CRN: the regex takes it, and so does `needs`
@hypothesis.example(["victim Is", "Victim First met the victim named Ali", "Mrs\xa0Patel", "tel (0116)\u20094960000"])
@hypothesis.example(["x\x00Mrs Patel", "0116\x00222 2222", "07700 900123\x00LE1 6ZG"])
def test_scan_many_finds_what_scanning_each_text_finds(texts: list[str]) -> None:
    want = [scan_each_text(t, PARTNERS) for t in texts]
    assert scan_many(texts, PARTNERS) == want
    assert [scan(t, PARTNERS) for t in texts] == want


def test_scan_many_on_every_token_in_every_form() -> None:
    texts = [form(t) for t in TOKENS for form in FORMS]
    assert scan_many(texts, PARTNERS) == [scan_each_text(t, PARTNERS) for t in texts]


def test_scan_many_on_every_two_pieces() -> None:
    """Every token after every other, across a space, a space outside ASCII or nothing: all in one batch."""
    texts = [a + space + b for a in TOKENS for space in (" ", "\xa0", "") for b in TOKENS]
    found = scan_many(texts, PARTNERS)
    assert found == [scan_each_text(t, PARTNERS) for t in texts]
    assert sum(map(bool, found)) > len(texts) // 10  # many texts hold something to find


def test_the_lower_case_keeps_every_position() -> None:
    """The cues read words in the lower case of the joined texts and map what they find back by position."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert len(personal._lower(every)) == len(every)
    assert personal._lower(every) == every.translate(FOLD).lower()
