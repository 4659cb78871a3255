"""Issue 17, safe to publish: the personal-data patterns on true and false cases, and the scan of real returns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import RA, SC, MakeReturn, action
from plan_workbook.merge import check_returns
from plan_workbook.personal import PATTERNS, redact, scan, scan_actions
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
