"""Remake the three corpus files that need a foreign application: `python tests/data/corpus/make_committed.py`.

Needs LibreOffice (soffice) for legacy.xls and libreoffice.ods, and msoffcrypto-tool (pip install
msoffcrypto-tool; not a project dependency) for encrypted.xlsx, whose password is "partner".
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for corpus.py

from corpus import GOOD_ROW, RA
from plan_workbook.fill import write_filled
from plan_workbook.plan import load_plan

HERE = Path(__file__).parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = write_filled(Path(tmp) / "return.xlsx", load_plan(), "Leicestershire Police",
                           {RA: [{**GOOD_ROW, "action": "Saved in another format"}]})
        for target, name in (("xls:MS Excel 97", "legacy.xls"), ("ods", "libreoffice.ods")):
            subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                            "--convert-to", target, "--outdir", tmp, str(src)], check=True, capture_output=True)
            shutil.copyfile(Path(tmp) / f"return.{name.rsplit('.', 1)[1]}", HERE / name)
        from msoffcrypto.format.ooxml import OOXMLFile  # type: ignore[import-not-found]

        with src.open("rb") as plain, (HERE / "encrypted.xlsx").open("wb") as out:
            OOXMLFile(plain).encrypt("partner", out)


if __name__ == "__main__":
    main()
