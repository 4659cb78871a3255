"""Make the shipped samples from the real template: `python samples/make_samples.py`.

- samples/template.xlsx: the blank LLR template (`plan-workbook build`)
- samples/template-leicestershire-police.xlsx: one personalised for Leicestershire Police
- samples/returns/*.xlsx: filled returns from six partners, with a few realistic mistakes

tests/test_samples.py fails when these files no longer match what this script makes.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from plan_workbook.fill import write_filled
from plan_workbook.outputs.template import write_template
from plan_workbook.plan import Plan, load_plan

RA, IR, SC = "Raising Awareness", "Improving our Response", "Strengthening Communities"

# partner -> (example edits, new rows); the comments name each deliberate mistake
RETURNS: dict[str, tuple[dict[str, dict[int, dict[str, Any]]], dict[str, list[dict[str, Any]]]]] = {
    "Leicestershire Police": (
        {RA: {0: {"status": "Green", "update": "Comms pack shared with all partners on 4 Oct"},
              1: {"lead": "Police", "time_frame": "Oct 21", "status": "green",  # lower-case status
                  "update": "NHCAW posters and videos out across LLR"}}},
        {RA: [{"theme": "Promote how and where to report hate incident and hate crime",
               "aim": "Increase reporting", "objective": "Online reporting promoted in every neighbourhood",
               "action": "Add the online hate reporting link to every neighbourhood policing page",
               "lead": "Police / OPCC", "time_frame": "Q3 2021/22", "status": "Amber",
               "update": "Web team capacity delayed the change to January"}],
         IR: [{"theme": "Collating community intelligence of concerns",
               "aim": "Partners can allocate resources where required",
               "objective": "JAGs capture community tensions",
               "action": "Share the monthly community tension report with JAG chairs",
               "lead": "Leicestershire Police", "time_frame": "Ongoing", "status": "Green",
               "update": "Report shared monthly since June"}]},
    ),
    "Leicester City Council": (
        {RA: {2: {"action": "Promote messages to community groups, VCS partners and schools in the city "
                            "through the Community Safety newsletter",  # adapted example
                  "lead": "City Council", "time_frame": "Nov 21", "status": "Green",
                  "update": "Newsletter items in October and November"}}},
        {SC: [{"theme": "Understanding local communities", "aim": "Identifying and supporting vulnerable people",
               "objective": "Proactively promoting community inclusion",
               "action": "Run three community inclusion events with faith and community groups",
               "lead": "Leicester City Council", "time_frame": "Mar 22", "status": "Red"},  # Red, no update
              {"theme": "Understanding local communities", "aim": "Building positive relationships",
               "objective": "Increased reporting and local intelligence",
               "action": "Map the city's third-party hate reporting centres and check each is active",
               "lead": "Leicester City Council", "time_frame": "Jan 22", "status": "Amber",
               "update": "12 of 19 centres checked; the rest booked for February"}]},
    ),
    "Victim First": (
        {},
        {RA: [{"theme": "To raise awareness about services and support available to victims",
               "aim": "To increase confidence in reporting",
               "objective": "Work with Victim First and other appropriate agencies",
               "action": "Publish victim testimonials in Urdu, Gujarati, Polish and Somali",
               "lead": "Victim First", "time_frame": "Feb 22", "status": "Amber",
               "update": "Two of four translations done"}],
         IR: [{"theme": "Provide appropriate support for victims & witness",
               "aim": "Victims and witnesses are confident to report hate crimes and incidents",
               "objective": "Wrap around service for victim and witnesses",
               "action": "Offer every referred hate crime victim a needs assessment within 2 working days",
               "lead": "Victim First / Victim Support",  # Victim Support is not a plan partner
               "time_frame": "Ongoing", "status": "Green", "update": "94% within 2 days in Q3"}]},
    ),
    "Charnwood Borough Council": (
        {},
        {RA: [{"theme": "Promote how and where to report hate incident and hate crime",
               "aim": "People know where and how to report",
               "objective": "Report hate to local Councils (Community Safety Teams)",
               "action": "Put the report-hate page on the council website's front page during NHCAW",
               "lead": "Charnwood", "time_frame": "Oct 21", "status": "Green", "update": "Done"},
              {"lead": "Charnwood Borough Council", "time_frame": "Dec 21", "status": "Amber",  # no Action
               "update": "Waiting for the county campaign materials"}],
         SC: [{"theme": "Link between hate and prevent ideological – these should be directed appropriately",
               "aim": "Ensure right referral pathway is used by professionals /internal staff",
               "objective": "Training to outline which referral pathways should be taken",
               "action": "Prevent and hate crime referral training for housing officers",
               "lead": "Charnwood Borough Council", "time_frame": "2022/23", "status": "Amber",
               "update": "Trainer booked; dates to be set"}]},
    ),
    "Leicestershire Fire and Rescue Service": (
        {},
        {RA: [{"theme": "Promote definitions of hate incident and hate crime",
               "aim": "Organisations are encouraged to record hate incidents and crimes",
               "objective": "Workforce training within each partner organisation",
               "action": "Hate incident awareness session for every watch",
               "lead": "Leicestershire Fire and Rescue Service", "time_frame": datetime(2022, 1, 31),
               "status": "Green", "update": "All 20 stations trained"}],
         SC: [{"theme": "Understanding local communities", "aim": "Identifying and supporting vulnerable people",
               "objective": "Proactively promoting community inclusion and building confidence",
               "action": "Safe and well visits include a question on hate incidents",
               "lead": "Fire Service", "time_frame": "Apr 22", "status": "Green",
               "update": "Question added to the visit form"}]},
    ),
    "Rutland County Council": (
        {SC: {1: {"lead": "Rutland County Council / Working Group", "time_frame": "Spring 2022",  # not a date
                  "status": "Amber", "update": "Schools pack being adapted for Rutland"}}},
        {IR: [{"theme": "To ensure positive outcomes for victims", "aim": "Communities have confidence in agencies",
               "objective": "Review process and data",
               "action": "Quarterly review of hate incident outcomes with the police beat team",
               "lead": "Rutland & Police", "time_frame": "Q4 2021/22", "status": "Green",
               "update": "First review held in January"}]},
    ),
}


def make(out: Path, plan: Plan) -> list[Path]:
    made = [write_template(plan, out / "template.xlsx"),
            write_template(plan, out / "template-leicestershire-police.xlsx", "Leicestershire Police")]
    (out / "returns").mkdir(parents=True, exist_ok=True)
    for partner, (edits, rows) in RETURNS.items():
        name = partner.lower().replace(" ", "-") + ".xlsx"
        made.append(write_filled(out / "returns" / name, plan, partner, rows, edits))
    return made


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for path in make(target, load_plan()):
        print(f"wrote {path}")
