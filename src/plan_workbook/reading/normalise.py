"""The published automatic fixes: statuses, leads and time frames read the way a person would.

Each function returns the fixed value and leaves reporting to the caller, which keeps the original.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from ..plan import Partner, Plan

SPACES = " \t\n\r\u00a0\u2007\u202f"
LEAD_SEPARATORS = re.compile(r"\s*[/,&;+]\s*")
AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def trim(text: str) -> str:
    return text.strip(SPACES)


def match_status(plan: Plan, text: str) -> str | None:
    """The plan's status for a name or alias in any case ('green', 'G'), else None."""
    return plan.status_index.get(trim(text).casefold())


def match_leads(plan: Plan, text: str) -> tuple[list[str], list[str]]:
    """Split a lead into plan partners. Returns (names in order, parts that match no partner).

    A whole-cell match wins, so 'Hinckley and Bosworth' is one partner, not two."""
    index = plan.partner_index

    def find(part: str) -> str | None:
        return index.get(" ".join(part.split()).casefold())

    whole = find(text)
    if whole:
        return [whole], []
    names: list[str] = []
    unknown: list[str] = []
    for part in filter(None, (trim(p) for p in LEAD_SEPARATORS.split(text))):
        hit = find(part)
        if hit:
            names.append(hit)
            continue
        pieces = [trim(p) for p in AND.split(part)]
        hits = [find(p) for p in pieces]
        if len(pieces) > 1 and all(hits):
            names += [h for h in hits if h]
        else:
            unknown.append(part)
    return list(dict.fromkeys(names)), unknown


_SMALL_WORDS = {"and", "of", "the", "for", "&"}


def initials(name: str) -> str:
    """'Leicester City Council' -> 'lcc': how partners abbreviate each other."""
    return "".join(w[0] for w in name.replace("(", " ").split() if w.casefold() not in _SMALL_WORDS).casefold()


def ranked_partners(plan: Plan, text: str, returning_only: bool = False, cutoff: float = 0.6) -> list[str]:
    """Partners close to a typed name, closest first. Initials win outright ('LCC' and 'L.C.C.' are Leicester
    City Council, never Rutland's 'RCC'); otherwise each name and alias is compared ('Charnwod' finds Charnwood)."""
    return list(_ranked(plan.partners, text, returning_only, cutoff))


@lru_cache(maxsize=4096)  # difflib over every name: the same misspelling recurs across returns
def _ranked(partners: tuple[Partner, ...], text: str, returning_only: bool, cutoff: float) -> tuple[str, ...]:
    wanted = " ".join(trim(text).split()).casefold()
    letters = "".join(ch for ch in wanted if ch.isalnum())
    mine = [p for p in partners if p.returns or not returning_only]
    found = [p.name for p in mine if letters and letters == initials(p.name)]
    if not found:
        scored = []
        for order, p in enumerate(mine):
            score = max(difflib.SequenceMatcher(None, wanted, w.casefold()).ratio() for w in (p.name, *p.aliases))
            if score >= cutoff:
                scored.append((-score, order, p.name))
        found = [name for _, _, name in sorted(scored)]
    return tuple(found)


def closest_partner(plan: Plan, text: str) -> str | None:
    close = ranked_partners(plan, text)
    return close[0] if close else None


def suggest_partners(plan: Plan, text: str, n: int = 3) -> list[str]:
    """Returning partners close to a mistyped name: the closest by name, alias or initials first."""
    return ranked_partners(plan, text, returning_only=True)[:n]


def partner_in_name(plan: Plan, file: str) -> str | None:
    """The returning partner a file's name gives away ('leicestershire-police.ods' -> Leicestershire Police):
    only for chasing a file that could not be read at all, never for whose data a workbook holds."""
    name = file.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = " " + re.sub(r"[^a-z0-9]+", " ", name.casefold()) + " "
    best: tuple[int, str] | None = None
    for p in plan.partners:
        if not p.returns:
            continue
        for word in (p.name, *(a for a in p.aliases if len(a) >= 4)):
            key = " " + re.sub(r"[^a-z0-9]+", " ", word.casefold()).strip() + " "
            if key.strip() and key in stem and (best is None or len(key) > best[0]):
                best = (len(key), p.name)
    return best[1] if best else None
