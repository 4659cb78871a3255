"""Issue 13, done means: four rounds through the real CLI, with returns that change between rounds (improving,
worsening, stuck, dropped, late, missing, nil), each recorded in the round store; every figure of the trend, the
histories, the stuck list and the timeliness read back from the fourth round's summary (openpyxl and calamine) and
board page, against values worked out by hand below.

The rounds (as of 30 Jun 2021, 30 Sep 2021, 31 Dec 2021, 31 Mar 2022):

  Police (files, Raising Awareness; actions from row 10, the sheet's five examples above them)
    A  awareness stall   Red, Amber, Green, Green            improving; its update the same since Q3
    B  train staff       Amber in all four, the same update,  due Jul 21: overdue from Q2; reworded in Q3
    C  leaflet           Green, Red, Red, then dropped        worsening, left out of Q4's return
    D  drop-in sessions  new in Q4, Amber
  City (files, Improving our Response; rows from 8)
    E  review policy     Amber, (no return), Amber, Amber     stuck: Amber in the 3 rounds it reported
    G  panel             Green, (no return), Green, Red       worsening into Q4
    H  tension           Q3 only, with no status (an error)
  Victim First (emails, Strengthening Communities; rows from 8)
    Q1 a nil return sent on 2 Jul (late); Q2 F with no status (an error), sent on the as-of day;
    Q3 nothing; Q4 F Red, sent on 4 Apr (late)
  Rutland (files): Q1 an unreadable file, Q2 a return with no actions, Q3 and Q4 nil returns
  The other 13 returning partners send nothing.
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook

from browser import MARK, axe_violations, check_pdf, find_chromium
from checks import table
from conftest import IR, RA, SC, action
from mails import eml
from plan_workbook.cli import main
from plan_workbook.fill import write_filled
from plan_workbook.plan import Plan, default_plan_path

POLICE, CITY, RUTLAND, VF = ("Leicestershire Police", "Leicester City Council", "Rutland County Council",
                             "Victim First")
RA_T = "Raising Awareness"
IR_T = "Improving our Response, Identifying and Responding to Emerging Issues"
SC_T = "Re-assuring and Strengthening Communities and Educating Communities"
ROUNDS = ("Q1 2021/22", "Q2 2021/22", "Q3 2021/22", "Q4 2021/22")
AS_OF = ("2021-06-30", "2021-09-30", "2021-12-31", "2022-03-31")
OTHERS = ("Leicestershire County Council", "Blaby District Council", "Charnwood Borough Council",
          "Harborough District Council", "Hinckley and Bosworth Borough Council", "Melton Borough Council",
          "North West Leicestershire District Council", "Oadby and Wigston Borough Council",
          "Office of the Police and Crime Commissioner", "Leicestershire Fire and Rescue Service",
          "Health partners (NHS)", "Probation Service", "Education partners")

A, B, B2 = "Run a hate crime awareness stall", "Train all front desk staff", "Train all the front desk staff"
C, D = "Publish a leaflet on reporting", "Run library drop-in sessions"
E, G, H = "Review the third party reporting policy", "Hate crime panel meets quarterly", "Community tension monitoring"
F = "Support victims through the hate crime service"
NOTHING = "nothing to compare"  # no action of the priority in both rounds
LATER = "Mar 23"  # due 31 March 2023: never overdue in these rounds


def ra(text: str, status: str, update: str, when: str = LATER) -> dict[str, Any]:
    return action(text, status=status, update=update, time_frame=when)


def ir(text: str, status: str | None, update: str) -> dict[str, Any]:
    return action(text, theme="To ensure positive outcomes for victims", status=status, update=update,
                  time_frame=LATER)


def sc(status: str | None, update: str) -> dict[str, Any]:
    return action(F, theme="Understanding local communities", status=status, update=update, time_frame=LATER)


POLICE_ROWS = [
    [ra(A, "Red", "Planning"), ra(B, "Amber", "Training being arranged", "Jul 21"), ra(C, "Green", "Drafted")],
    [ra(A, "Amber", "Booked"), ra(B, "Amber", "Training being arranged", "Jul 21"), ra(C, "Red", "Printer delayed")],
    [ra(A, "Green", "Held in town centre"), ra(B2, "Amber", "Training being arranged", "Jul 21"),
     ra(C, "Red", "Printer delayed")],
    [ra(A, "Green", "Held in town centre"), ra(B2, "Amber", "Training being arranged", "Jul 21"),
     ra(D, "Amber", "Started")],
]
CITY_ROWS = [
    [ir(E, "Amber", "Review started"), ir(G, "Green", "Met in June")],
    None,  # no return
    [ir(E, "Amber", "Draft with legal"), ir(G, "Green", "Met in December"), ir(H, None, "Setting up")],
    [ir(E, "Amber", "Draft with legal"), ir(G, "Red", "Panel chair left")],
]


def make_rounds(plan: Plan, tmp_path: Path) -> list[Path]:
    folders = [tmp_path / f"q{n}" for n in range(1, 5)]
    for folder in folders:
        folder.mkdir()
    scratch = tmp_path / "made"
    scratch.mkdir()

    def emailed(folder: Path, name: str, when: datetime, **kwargs: Any) -> None:
        made = write_filled(scratch / f"{name}.xlsx", plan, VF, **kwargs)
        (folder / f"{name}.eml").write_bytes(eml("Hate crime return", "returns@victimfirst.org.uk",
                                                 [("return.xlsx", made.read_bytes())], when=when))

    for n, folder in enumerate(folders):
        write_filled(folder / "police.xlsx", plan, POLICE, {RA: POLICE_ROWS[n]})
        if (city := CITY_ROWS[n]) is not None:
            write_filled(folder / "city.xlsx", plan, CITY, {IR: city})
    (folders[0] / "rutland.xlsx").write_bytes(b"this is not a workbook")
    write_filled(folders[1] / "rutland.xlsx", plan, RUTLAND)  # nothing filled in
    write_filled(folders[2] / "rutland.xlsx", plan, RUTLAND, nil=True)
    write_filled(folders[3] / "rutland.xlsx", plan, RUTLAND, nil=True)
    emailed(folders[0], "vf-q1", datetime(2021, 7, 2, 9, 0, tzinfo=UTC), nil=True)
    emailed(folders[1], "vf-q2", datetime(2021, 9, 30, 16, 0, tzinfo=UTC), new_rows={SC: [sc(None, "Helping")]})
    emailed(folders[3], "vf-q4", datetime(2022, 4, 4, 11, 0, tzinfo=UTC),
            new_rows={SC: [sc("Red", "Referral numbers fell")]})
    return folders


def merge(*args: str | Path) -> str:
    done = CliRunner().invoke(main, ["merge", *map(str, args)])
    assert "Traceback" not in done.output
    assert done.exit_code in (0, 1), done.output
    return done.output


def rows(ws: Any, first: int, last: int, width: int) -> list[list[Any]]:
    return [[ws.cell(r, c).value for c in range(1, width + 1)] for r in range(first, last + 1)]


def html_table(html: str, label: str) -> list[list[str]]:
    """A board page table's body rows as text, found by the heading that names it."""
    found = re.search(rf'<table aria-labelledby="{label}">(.*?)</table>', html, re.S)
    assert found, label
    body = found.group(1).split("<tbody>", 1)[1]
    return [[" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_four_rounds(plan: Plan, tmp_path: Path) -> None:
    folders = make_rounds(plan, tmp_path)
    store = tmp_path / "rounds.sqlite"
    marked = tmp_path / "plan.toml"  # the plan with a protective marking, as the PDF check expects
    marked.write_text(default_plan_path().read_text(encoding="utf-8").replace(
        "[plan]\n", f'[plan]\nmarking = "{MARK}"\n', 1), encoding="utf-8")
    for n, folder in enumerate(folders):
        pdf = ("--report", tmp_path / "q4.pdf") if n == 3 else ()
        out = merge(folder, "--out", tmp_path / f"q{n + 1}.xlsx", "--as-of", AS_OF[n], "--round", ROUNDS[n],
                    "--store", store, "--report", tmp_path / f"q{n + 1}.html", *pdf, "--plan", marked)
        assert ROUNDS[n] in out
    # one round: the sheet and the page say that trends start next round
    first = load_workbook(tmp_path / "q1.xlsx")
    assert first["Trend"]["A2"].value == "Trends start next round: this is the first round recorded."
    assert "Stuck" not in first.sheetnames  # nothing can be stuck yet
    assert "Trends start next round" in (tmp_path / "q1.html").read_text(encoding="utf-8")

    summary = tmp_path / "q4.xlsx"
    wb = load_workbook(summary)
    assert wb.sheetnames[wb.sheetnames.index("Trend"):][:4] == ["Trend", "Stuck", "Timeliness", "Action history"]
    ws = wb["Trend"]
    head = ["Round", "As of", "Red", "Amber", "Green", "No status", "Total", "Direction of travel", "Improved",
            "Worsened", "Unchanged"]

    def day(text: str) -> datetime:
        return datetime.fromisoformat(text)

    # All priorities, then each priority: a heading, the header row, one row per round
    expected: dict[str, list[list[Any]]] = {
        "All priorities": [[1, 2, 2, 0, 5, None, None, None, None], [1, 2, 0, 1, 4, "unchanged", 1, 1, 1],
                           [1, 2, 2, 1, 6, "improved", 1, 0, 2], [2, 3, 1, 0, 6, "worsened", 0, 1, 3]],
        RA_T: [[1, 1, 1, 0, 3, None, None, None, None], [1, 2, 0, 0, 3, "unchanged", 1, 1, 1],
               [1, 1, 1, 0, 3, "improved", 1, 0, 2], [0, 2, 1, 0, 3, "unchanged", 0, 0, 2]],
        IR_T: [[0, 1, 1, 0, 2, None, None, None, None], [0, 0, 0, 0, 0, NOTHING, 0, 0, 0],
               [0, 1, 1, 1, 3, NOTHING, 0, 0, 0], [1, 1, 0, 0, 2, "worsened", 0, 1, 1]],
        SC_T: [[0, 0, 0, 0, 0, None, None, None, None], [0, 0, 0, 1, 1, NOTHING, 0, 0, 0],
               [0, 0, 0, 0, 0, NOTHING, 0, 0, 0], [1, 0, 0, 0, 1, NOTHING, 0, 0, 0]],
    }
    top = 4
    for title, counts in expected.items():
        assert ws.cell(top, 1).value == title
        assert rows(ws, top + 1, top + 1, 11) == [head]
        assert rows(ws, top + 2, top + 5, 11) == [[ROUNDS[i], day(AS_OF[i]), *counts[i]] for i in range(4)]
        top += 7
    with zipfile.ZipFile(summary) as z:  # a native chart of the All priorities table
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
        drawings = " ".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/drawings/drawing"))
    assert 'descr="Stacked column chart of all actions by status in each round' in drawings  # alt text
    trend_chart = [c for c in charts if "Actions by status in every round" in c]
    assert len(trend_chart) == 1
    assert [f"Trend!${col}$5" in trend_chart[0] for col in "CDEF"] == [True] * 4  # each status's name
    assert "Trend!$A$6:$A$9" in trend_chart[0]  # the rounds

    stuck = [(r["Partner"], r["Action"], r["Status"], r["Rounds at status"], r["Rounds overdue"],
              r["Rounds same update"], r["Why"], r["File"], r["Sheet"], r["Cell"]) for r in table(summary, "Stuck")]
    q4 = str(folders[3])
    assert stuck == [
        (POLICE, B2, "Amber", 4, 3, 4, "Amber for 4 rounds; overdue in 3 rounds; update unchanged for 4 rounds",
         f"{q4}/police.xlsx", RA, "D11"),
        (CITY, E, "Amber", 3, "", 2, "Amber for 3 rounds; update unchanged for 2 rounds", f"{q4}/city.xlsx", IR,
         "D8"),
    ]

    timeliness = [tuple(r.values()) for r in table(summary, "Timeliness")]
    assert list(table(summary, "Timeliness")[0]) == ["Partner", "Rounds", "Returned", "Returned with errors",
                                                     "Nil returns", "Not usable", "Missing", "Late"]
    by_partner = {r[0]: r[1:] for r in timeliness}
    assert by_partner == {
        POLICE: (4, 4, 0, 0, 0, 0, 0),
        CITY: (4, 3, 1, 0, 0, 1, 0),  # no return in Q2; Q3's had an error
        RUTLAND: (4, 2, 0, 2, 2, 0, 0),  # unreadable, then no actions, then two nil returns
        VF: (4, 3, 1, 1, 0, 1, 2),  # the nil return and Q4's sent after the as-of day; Q2's on it
        **dict.fromkeys(OTHERS, (4, 0, 0, 0, 0, 4, 0)),
    }
    assert [r[0] for r in timeliness] == list(plan.returning_partners)

    history = [(r["Partner"], r["Action"], *(r[q] for q in ROUNDS), r["Update last changed"], r["Cell"])
               for r in table(summary, "Action history")]
    no, none = "not reported", "No status"
    assert history == [
        (CITY, E, "Amber", no, "Amber", "Amber", "Q3 2021/22", "D8"),
        (CITY, G, "Green", no, "Green", "Red", "Q4 2021/22", "D9"),
        (POLICE, A, "Red", "Amber", "Green", "Green", "Q3 2021/22", "D10"),
        (POLICE, B2, "Amber", "Amber", "Amber", "Amber", "Q1 2021/22", "D11"),
        (POLICE, C, "Green", "Red", "Red", no, "Q2 2021/22", "D12"),
        (VF, F, no, none, no, "Red", "Q4 2021/22", "D8"),
        (CITY, H, no, no, none, no, "Q3 2021/22", "D10"),
        (POLICE, D, no, no, no, "Amber", "Q4 2021/22", "D12"),
    ]

    html = (tmp_path / "q4.html").read_text(encoding="utf-8")
    assert html_table(html, "trend-status") == [
        ["Q1 2021/22", "1", "2", "2", "0", "5", "first round"],
        ["Q2 2021/22", "1", "2", "0", "1", "4", "unchanged (1 better, 1 worse, 1 same)"],
        ["Q3 2021/22", "1", "2", "2", "1", "6", "improved (1 better, 0 worse, 2 same)"],
        ["Q4 2021/22", "2", "3", "1", "0", "6", "worsened (0 better, 1 worse, 3 same)"],
    ]
    assert html_table(html, "trend-direction") == [
        [RA_T, "unchanged (1 better, 1 worse, 1 same)", "improved (1 better, 0 worse, 2 same)",
         "unchanged (0 better, 0 worse, 2 same)"],
        [IR_T, NOTHING, NOTHING, "worsened (0 better, 1 worse, 1 same)"],
        [SC_T, NOTHING, NOTHING, NOTHING],
        ["All priorities", "unchanged (1 better, 1 worse, 1 same)", "improved (1 better, 0 worse, 2 same)",
         "worsened (0 better, 1 worse, 3 same)"],
    ]
    assert html_table(html, "stuck") == [
        [B2, POLICE, "◆ Amber", "Amber for 4 rounds; overdue in 3 rounds; update unchanged for 4 rounds",
         f"police.xlsx, {RA} D11"],  # the file's name: no folder on a page for the board
        [E, CITY, "◆ Amber", "Amber for 3 rounds; update unchanged for 2 rounds", f"city.xlsx, {IR} D8"],
    ]
    assert html_table(html, "timeliness")[:4] == [
        [POLICE, "4", "4", "0", "0", "0", "0", "0"], [CITY, "4", "3", "1", "0", "0", "1", "0"],
        ["Leicestershire County Council", "4", "0", "0", "0", "0", "4", "0"],
        [RUTLAND, "4", "2", "0", "2", "2", "0", "0"]]
    assert html_table(html, "timeliness")[12] == [VF, "4", "3", "1", "1", "0", "1", "2"]
    # the chart: named, described, and its counts those of the table
    svg = re.search(r"<svg[^>]*aria-labelledby=\"trend-chart-title trend-chart-desc\".*?</svg>", html, re.S)
    assert svg
    assert re.findall(r"<title>(Q\d 2021/22, [A-Za-z ]+: \d+)</title>", svg.group(0)) == [
        "Q1 2021/22, Red: 1", "Q1 2021/22, Amber: 2", "Q1 2021/22, Green: 2",
        "Q2 2021/22, Red: 1", "Q2 2021/22, Amber: 2", "Q2 2021/22, No status: 1",
        "Q3 2021/22, Red: 1", "Q3 2021/22, Amber: 2", "Q3 2021/22, Green: 2", "Q3 2021/22, No status: 1",
        "Q4 2021/22, Red: 2", "Q4 2021/22, Amber: 3", "Q4 2021/22, Green: 1"]
    assert "<script" not in html  # no scripts, nothing from outside the page
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert axe_violations(find_chromium(), tmp_path / "q4.html", tmp_path) == []  # WCAG 2.2 AA, the section too
    pages = check_pdf(tmp_path / "q4.pdf", html)  # every word printed, nothing overlapping, marked on every page
    assert any("Trend across rounds" in text for page in pages for text, _ in page)
    # the trend is rebuilt from the store as the merge wrote it: Q4 over the three rounds before it, Q2 over Q1
    for n in (4, 2):
        again = CliRunner().invoke(main, ["rebuild", "--round", ROUNDS[n - 1], "--store", str(store), "--plan",
                                          str(marked), "--out", str(tmp_path / f"again{n}.xlsx")])
        assert again.exit_code == 0, again.output
        assert "byte-identical" in again.output
    # history --export: the same stuck list and timeliness as tidy tables
    exported = CliRunner().invoke(main, ["history", "--store", str(store), "--export", str(tmp_path / "export"),
                                         "--format", "json", "--plan", str(marked)])
    assert exported.exit_code == 0, exported.output
    stuck_json = json.loads((tmp_path / "export" / "stuck.json").read_text(encoding="utf-8"))
    assert [(r["partner"], r["action"], r["rounds_at_status"], r["rounds_overdue"], r["rounds_same_update"], r["cell"])
            for r in stuck_json] == [(POLICE, B2, 4, 3, 4, "D11"), (CITY, E, 3, 0, 2, "D8")]
    timely = json.loads((tmp_path / "export" / "timeliness.json").read_text(encoding="utf-8"))
    assert [list(r.values()) for r in timely if r["partner"] in (CITY, VF)] == [
        [CITY, 4, 3, 1, 0, 0, 1, 0], [VF, 4, 3, 1, 1, 0, 1, 2]]
    steps = json.loads((tmp_path / "export" / "action_history.json").read_text(encoding="utf-8"))
    assert [(r["round"], r["status"], r["update"]) for r in steps if r["action"] in (B, B2)] == [
        (q, "Amber", "Training being arranged") for q in ROUNDS]
    assert len({r["action_id"] for r in steps if r["action"] in (B, B2)}) == 1  # one action, reworded in Q3
