"""Reading one returned workbook safely: the guard, the reader, the fixes, and the worker processes that run them."""

# What a worker process imports before its first return: the guard, the reader and the fixes, and merge, whose
# read_and_scan is the worker's job (it adds the personal-data scan); never pandas.
WORKER_IMPORTS = ["plan_workbook.reading.fixes", "plan_workbook.merge"]
