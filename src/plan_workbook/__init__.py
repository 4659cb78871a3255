"""plan-workbook: run a multi-agency delivery plan through Excel."""

__version__ = "0.1.0"
