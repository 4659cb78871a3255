"""The personal-data scan's quick tests (`Pattern.needs`) only skip what the patterns could never match."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_workbook import personal
from plan_workbook.personal import PATTERNS, scan

# Pieces that make the patterns match or nearly match, in any case, with the letters (?i) folds specially.
PIECES = ["victim ", "Witness: ", "VICTİM ", "vıctim ", "Mr ", "Mrs. ", "Ms ", "Miss ", "Mx ", "John ", "Smith ",
          "crime ref ", "ıncident no ", "LOG number ", "CRN ", "URN: ", "21*0123456 ", "CR/012345/21 ", "DOB ",
          "d.o.b ", "Do.B ", "date of birth ", "BORN on ", "02/03/1985 ", "2 March 1985 ", "0116 222 2222 ",
          "+44 7700 900123 ", "LE1 6ZG ", "AB 12 34 56 C ", "j.smith@example.org ", "@x ", "ſuspect ", "perpetrator ",
          "offender ", "complainant ", "the ", "and ", "١٢٣٤٥٦٧٨٩٠١ ", "(0116) 22222 ", "RA1 2AB ", "le16zg ",
          "AB123456C ", "0", "7", " ", "-"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=12))
def test_the_quick_tests_never_change_what_is_found(parts: list[str]) -> None:
    text = "".join(parts)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(personal, "PATTERNS", tuple(dataclasses.replace(p, needs=None) for p in PATTERNS))
        want = scan(text)
    assert scan(text) == want


def test_the_quick_tests_skip_plain_text() -> None:
    low = "raising awareness at community events".lower()
    assert not any(p.needs(low, low) for p in PATTERNS if p.needs is not None)
