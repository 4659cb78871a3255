"""What the tool writes: the template, the summary workbook, the board report, feedback copies, and the set writer."""
