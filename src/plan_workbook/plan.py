"""Stage 1: load the declarative plan file and check it, reporting every mistake at once."""

from __future__ import annotations

import calendar
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from . import layout as L
from .errors import PlanError

DEFAULT_PLAN = "llr-hate-crime-2021-23.toml"

# The eight column roles, in template order. Plans name and describe them; the tool keys on the role.
ROLES = ("theme", "aim", "objective", "action", "lead", "time_frame", "status", "update")
TEXT_ROLES = ("theme", "aim", "objective", "action")  # what makes an example row "the same text"
MIN_INPUT_ROWS = 100
BAD_SHEET_CHARS = set("\\/?*[]:")


@dataclass(frozen=True)
class Column:
    role: str
    header: str
    guidance: str
    width: float


@dataclass(frozen=True)
class Status:
    name: str
    meaning: str
    fill: str
    font: str
    aliases: tuple[str, ...] = ()
    update_required: bool = False


@dataclass(frozen=True)
class Partner:
    name: str
    aliases: tuple[str, ...] = ()
    returns: bool = True
    domains: tuple[str, ...] = ()  # email domains its returns come from ("leics.police.uk"); () for any


@dataclass(frozen=True)
class Priority:
    title: str
    sheet: str
    themes: tuple[str, ...]
    examples: tuple[dict[str, str], ...]  # role -> text; missing roles are empty


@dataclass(frozen=True)
class Challenge:
    """The challenge rules' thresholds (challenge.py), from the plan's optional [challenge] table."""

    overdue_grace_days: int = 0  # days past due before an action with no new date is flagged
    min_update_words: int = 5  # a Red or Amber update with fewer words than this is flagged
    stale_rounds: int = 2  # rounds an update may stay the same before it is flagged (1 or 2)
    slip_days: int = 0  # days a due date may move later since last round before it is flagged


# Each threshold's lowest and highest allowed value.
CHALLENGE_LIMITS = {"overdue_grace_days": (0, 366), "min_update_words": (1, 100), "stale_rounds": (1, 2),
                    "slip_days": (0, 366)}


@dataclass(frozen=True)
class Plan:
    id: str
    version: str
    title: str
    partnership: str
    period_start: date  # first day of the first month
    period_end: date  # last day of the last month
    key: str
    instructions: tuple[str, ...]
    input_rows: int
    done_status: str
    columns: tuple[Column, ...]
    statuses: tuple[Status, ...]
    partners: tuple[Partner, ...]
    priorities: tuple[Priority, ...]
    return_date: str = ""
    contact: str = ""
    marking: str = ""  # protective marking such as OFFICIAL, printed in page headers and footers
    challenge: Challenge = Challenge()
    source: str = field(default="", compare=False)

    @property
    def status_names(self) -> list[str]:
        return [s.name for s in self.statuses]

    @property
    def partner_names(self) -> list[str]:
        return [p.name for p in self.partners]

    @property
    def returning_partners(self) -> list[str]:
        return [p.name for p in self.partners if p.returns]

    def column(self, role: str) -> Column:
        return next(c for c in self.columns if c.role == role)

    @cached_property
    def status_index(self) -> dict[str, str]:
        """Every status name and alias, case folded -> the status's name."""
        return {word.casefold(): s.name for s in self.statuses for word in (s.name, *s.aliases)}

    @cached_property
    def example_texts(self) -> dict[tuple[str, str], frozenset[str]]:
        """(priority title, role) -> the examples' own text in that column, as printed in the template."""
        return {(p.title, role): frozenset(e[role] for e in p.examples if e.get(role))
                for p in self.priorities for role in ROLES}

    @cached_property
    def partner_index(self) -> dict[str, str]:
        """Every partner name and alias, spaces collapsed and case folded -> the partner's name.
        Cached: leads are matched for every row of every return."""
        return {" ".join(word.split()).casefold(): p.name for p in self.partners for word in (p.name, *p.aliases)}

    def months(self) -> list[date]:
        """First day of every month in the plan period."""
        out, y, m = [], self.period_start.year, self.period_start.month
        while date(y, m, 1) <= self.period_end:
            out.append(date(y, m, 1))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def partner_named(plan: Plan, name: str) -> str | None:
    """The plan's name for a returning partner given its name or an alias, in any case."""
    wanted = " ".join(name.split()).casefold()
    for p in plan.partners:
        if p.returns and wanted in {p.name.casefold(), *(a.casefold() for a in p.aliases)}:
            return p.name
    return None


def default_plan_path() -> Path:
    """The embedded LLR plan: packaged in the wheel, or `schema/` beside `src/` in a checkout."""
    packaged = resources.files("plan_workbook") / "schema" / DEFAULT_PLAN
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schema" / DEFAULT_PLAN


def load_plan(path: str | Path | None = None) -> Plan:
    """Read and check a plan file. Raises PlanError listing every mistake."""
    p = Path(path) if path is not None else default_plan_path()
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(str(p), ["the plan file does not exist"]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise PlanError(str(p), [f"cannot read the plan file ({e})"]) from None
    except tomllib.TOMLDecodeError as e:
        raise PlanError(str(p), [f"not valid TOML: {e}"]) from None
    return plan_from_dict(raw, str(p))


def plan_from_dict(raw: dict[str, Any], source: str = "<plan>") -> Plan:
    """Check a plan given as data (the TOML file's tables) and make the Plan: the pure part of loading, so a web
    page or a test can check a plan without a file. Raises PlanError listing every mistake."""
    checker = _Checker()
    plan = checker.plan(raw, source)
    if checker.mistakes or plan is None:
        raise PlanError(source, checker.mistakes)
    return plan


MAX_MARKING = 60  # Excel allows 255 characters for a whole header or footer
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_COLOUR = re.compile(r"^[0-9A-Fa-f]{6}$")


class _Checker:
    """Turns the TOML dict into a Plan, collecting every mistake with its key."""

    def __init__(self) -> None:
        self.mistakes: list[str] = []

    def bad(self, key: str, what: str) -> None:
        self.mistakes.append(f"{key}: {what}")

    def table(self, raw: Any, key: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.bad(key, "should be a table")
            return {}
        for k in sorted(set(raw) - allowed):
            self.bad(f"{key}.{k}" if key else k, f"unknown key (expected one of: {', '.join(sorted(allowed))})")
        for k in sorted(required - set(raw)):
            self.bad(f"{key}.{k}" if key else k, "is missing")
        return raw

    def text(self, d: dict[str, Any], k: str, key: str, default: str | None = None) -> str:
        v = d.get(k, default)
        if v is None:
            return ""  # already reported missing
        if not isinstance(v, str):
            self.bad(f"{key}.{k}", "should be text")
            return ""
        if not v.strip() and default is None:
            self.bad(f"{key}.{k}", "is empty")
        return v

    def texts(self, d: dict[str, Any], k: str, key: str) -> tuple[str, ...]:
        v = d.get(k, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            self.bad(f"{key}.{k}", "should be a list of text")
            return ()
        return tuple(v)

    def month(self, d: dict[str, Any], k: str, key: str, end: bool) -> date:
        v = d.get(k)
        m = _MONTH.match(v) if isinstance(v, str) else None
        if not m or not 1 <= int(m.group(2)) <= 12:
            if v is not None:
                self.bad(f"{key}.{k}", f"should be a month written YYYY-MM, not {v!r}")
            return date(2000, 1, 1)
        y, mo = int(m.group(1)), int(m.group(2))
        return date(y, mo, calendar.monthrange(y, mo)[1] if end else 1)

    def plan(self, raw: dict[str, Any], source: str) -> Plan | None:
        top = self.table(raw, "", {"plan", "columns", "statuses", "partners", "priorities", "challenge"},
                         {"plan", "columns", "statuses", "partners", "priorities"})
        meta = self.table(top.get("plan", {}), "plan",
                          {"id", "version", "title", "partnership", "period_start", "period_end", "key",
                           "instructions", "input_rows", "done_status", "return_date", "contact", "marking"},
                          {"id", "version", "title", "period_start", "period_end", "done_status"})
        start = self.month(meta, "period_start", "plan", end=False)
        end = self.month(meta, "period_end", "plan", end=True)
        if start > end:
            self.bad("plan.period_end", "is before plan.period_start")
        rows = meta.get("input_rows", MIN_INPUT_ROWS)
        if not isinstance(rows, int) or isinstance(rows, bool) or not MIN_INPUT_ROWS <= rows <= 5000:
            self.bad("plan.input_rows", f"should be a whole number from {MIN_INPUT_ROWS} to 5000, not {rows!r}")
            rows = MIN_INPUT_ROWS
        columns = self.columns(top.get("columns", {}))
        statuses = self.statuses(top.get("statuses", []))
        names = {s.name for s in statuses}
        done = self.text(meta, "done_status", "plan")
        if done and names and done not in names:
            self.bad("plan.done_status", f"{done!r} is not one of the statuses ({', '.join(sorted(names))})")
        partners = self.partners(top.get("partners", []))
        priorities = self.priorities(top.get("priorities", []), names)
        return Plan(
            id=self.text(meta, "id", "plan"),
            version=str(meta.get("version", "")),
            title=self.text(meta, "title", "plan"),
            partnership=self.text(meta, "partnership", "plan", ""),
            period_start=start,
            period_end=end,
            key=self.text(meta, "key", "plan",
                          "Greyed-out rows are examples that partners can adopt or change to meet local needs."),
            instructions=self.texts(meta, "instructions", "plan"),
            input_rows=rows,
            done_status=done,
            columns=columns,
            statuses=statuses,
            partners=partners,
            priorities=priorities,
            return_date=self.text(meta, "return_date", "plan", ""),
            contact=self.text(meta, "contact", "plan", ""),
            marking=self.marking(meta),
            challenge=self.challenge(top.get("challenge", {})),
            source=source,
        )

    def marking(self, meta: dict[str, Any]) -> str:
        text = self.text(meta, "marking", "plan", "")
        if len(text) > MAX_MARKING or "\n" in text:
            self.bad("plan.marking", f"should be one line of at most {MAX_MARKING} characters (it is printed in "
                     "page headers and footers)")
            return ""
        return text

    def challenge(self, raw: Any) -> Challenge:
        d = self.table(raw, "challenge", set(CHALLENGE_LIMITS), set())
        values = {}
        for k, (low, high) in CHALLENGE_LIMITS.items():
            v = d.get(k, getattr(Challenge, k))
            if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high:
                self.bad(f"challenge.{k}", f"should be a whole number from {low} to {high}, not {v!r}")
                continue
            values[k] = v
        return Challenge(**values)

    def columns(self, raw: Any) -> tuple[Column, ...]:
        d = self.table(raw, "columns", set(ROLES), set(ROLES))
        out = []
        for role in ROLES:
            t = self.table(d.get(role, {}), f"columns.{role}", {"header", "guidance", "width"}, {"header"})
            width = t.get("width", 20)
            if not isinstance(width, (int, float)) or not 4 <= width <= 120:
                self.bad(f"columns.{role}.width", "should be a number from 4 to 120")
                width = 20
            out.append(Column(role, self.text(t, "header", f"columns.{role}"),
                              self.text(t, "guidance", f"columns.{role}", ""), float(width)))
        headers = [c.header.strip().casefold() for c in out]
        for c in out:
            if c.header and headers.count(c.header.strip().casefold()) > 1:
                self.bad(f"columns.{c.role}.header", f"{c.header!r} is used for more than one column")
        return tuple(out)

    def statuses(self, raw: Any) -> tuple[Status, ...]:
        if not isinstance(raw, list) or not raw:
            self.bad("statuses", "should list at least one status")
            return ()
        out, seen = [], set()
        for i, s in enumerate(raw, 1):
            key = f"statuses[{i}]"
            d = self.table(s, key, {"name", "meaning", "fill", "font", "aliases", "update_required"}, {"name", "fill"})
            name = self.text(d, "name", key)
            for k in ("fill", "font"):
                if k in d and not (isinstance(d[k], str) and _COLOUR.match(d[k])):
                    self.bad(f"{key}.{k}", f"should be six hex digits such as 'C6EFCE', not {d[k]!r}")
            aliases = self.texts(d, "aliases", key)
            for word in (name, *aliases):
                if word and word.casefold() in seen:
                    self.bad(key, f"{word!r} is used by more than one status")
                seen.add(word.casefold())
            needs_update = d.get("update_required", False)
            if not isinstance(needs_update, bool):
                self.bad(f"{key}.update_required", "should be true or false")
                needs_update = False
            out.append(Status(name, self.text(d, "meaning", key, ""), str(d.get("fill", "FFFFFF")).upper(),
                              str(d.get("font", "000000")).upper(), aliases, needs_update))
        return tuple(out)

    def partners(self, raw: Any) -> tuple[Partner, ...]:
        if not isinstance(raw, list) or not raw:
            self.bad("partners", "should list at least one partner")
            return ()
        out, seen = [], set()
        for i, p in enumerate(raw, 1):
            key = f"partners[{i}]"
            d = self.table(p, key, {"name", "aliases", "returns", "domains"}, {"name"})
            name = self.text(d, "name", key)
            returns = d.get("returns", True)
            if not isinstance(returns, bool):
                self.bad(f"{key}.returns", "should be true or false")
                returns = True
            aliases = self.texts(d, "aliases", key)
            for word in (name, *aliases):
                if word and word.strip().casefold() in seen:
                    self.bad(key, f"{word!r} names more than one partner")
                seen.add(word.strip().casefold())
            out.append(Partner(name, aliases, returns, self.domains(d, key)))
        return tuple(out)

    def domains(self, d: dict[str, Any], key: str) -> tuple[str, ...]:
        """Email domains, such as "leics.police.uk": no '@', at least one dot, no spaces."""
        found = self.texts(d, "domains", key)
        for domain in found:
            if "@" in domain or "." not in domain.strip(".") or any(ch.isspace() for ch in domain):
                self.bad(f"{key}.domains", f"{domain!r} is not an email domain (write it like 'leics.police.uk', "
                         "without a name and @)")
        return tuple(domain.strip().lower() for domain in found)

    def priorities(self, raw: Any, statuses: set[str]) -> tuple[Priority, ...]:
        if not isinstance(raw, list) or not raw:
            self.bad("priorities", "should list at least one strategic priority")
            return ()
        out, sheets = [], set()
        for i, p in enumerate(raw, 1):
            key = f"priorities[{i}]"
            d = self.table(p, key, {"title", "sheet", "themes", "examples"}, {"title", "sheet"})
            title = self.text(d, "title", key)
            sheet = self.text(d, "sheet", key)
            self.sheet_name(sheet, f"{key}.sheet")
            if sheet.casefold() in sheets:
                self.bad(f"{key}.sheet", f"{sheet!r} is the sheet name of an earlier priority")
            sheets.add(sheet.casefold())
            examples = []
            ex_raw = d.get("examples", [])
            if not isinstance(ex_raw, list):
                self.bad(f"{key}.examples", "should be a list of example rows")
                ex_raw = []
            for j, e in enumerate(ex_raw, 1):
                ekey = f"{key}.examples[{j}]"
                ed = self.table(e, ekey, set(ROLES), set())
                row = {role: self.text(ed, role, ekey, "") for role in ROLES}
                if row["status"] and row["status"] not in statuses:
                    self.bad(f"{ekey}.status",
                             f"{row['status']!r} is not one of the statuses ({', '.join(sorted(statuses))})")
                if not any(row[r].strip() for r in TEXT_ROLES):
                    self.bad(ekey, "has no text in theme, aim, objective or action")
                examples.append(row)
            out.append(Priority(title, sheet, self.texts(d, "themes", key), tuple(examples)))
        return tuple(out)

    def sheet_name(self, name: str, key: str) -> None:
        if not name:
            return
        if len(name) > 31:
            self.bad(key, f"{name!r} is {len(name)} characters; Excel allows at most 31")
        bad = sorted(set(name) & BAD_SHEET_CHARS)
        if bad:
            self.bad(key, f"{name!r} has characters Excel does not allow in sheet names: {' '.join(bad)}")
        if name.startswith("'") or name.endswith("'"):
            self.bad(key, f"{name!r} may not start or end with an apostrophe")
        if L.is_reserved(name):
            self.bad(key, f"{name!r} is a name the template uses for its own sheets ({', '.join(L.RESERVED_SHEETS)}, "
                     "in any case) or Excel keeps for itself (History); give the priority sheet another name")
