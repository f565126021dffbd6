"""Find a source's files and make each readable by DuckDB: encoding, delimiter, spreadsheets.

Nothing here reads values into Python except spreadsheets (Excel sizes are small); CSV files
in UTF-8 go to DuckDB's parallel reader untouched, and only a file in another encoding is
transcoded once, into the project's private state folder.
"""

from __future__ import annotations

import codecs
import csv
import glob
import gzip
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from decisionframe.config import SourceConfig
from decisionframe.errors import Problem
from decisionframe.paths import outside_problem, resolve_inside

SNIFF_BYTES = 1 << 20  # read to detect the encoding and the delimiter
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class SourceFile:
    """One file of a source: its path as written in the project, and its content hash."""

    display: str
    path: Path
    sha256: str


@dataclass
class PreparedFile:
    """A file ready for DuckDB: the path to read (maybe transcoded) and what was detected."""

    file: SourceFile
    read_path: Path
    delimiter: str = ","
    encoding: str = "utf-8"
    header: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_files(
    source: SourceConfig, project_dir: Path, table: str, *, allow_outside: bool = False
) -> tuple[list[SourceFile], list[Problem]]:
    """Every file a source names (globs expanded, sorted), hashed; or why there is none.

    Each is resolved (symlinks followed) and must be inside the project folder unless
    ``allow_outside``; its display name is the resolved path (what provenance records).
    """
    files: list[SourceFile] = []
    problems: list[Problem] = []
    for pattern in source.paths():
        if glob.has_magic(pattern):
            found = sorted(glob.glob(pattern, root_dir=project_dir))
            if not found:
                problems.append(
                    Problem(
                        pattern,
                        "missing-file",
                        f"no file matches this pattern for '{table}'",
                        f"check sources.{table}.path in decisionframe.yaml",
                    )
                )
            names = found
        else:
            names = [pattern]
        for name in names:
            inside = resolve_inside(project_dir, name, allow_outside=allow_outside)
            if inside is None:
                problems.append(outside_problem(name, f"sources.{table}.path"))
                continue
            path, real_name = inside
            if not path.is_file():
                problems.append(
                    Problem(
                        name,
                        "missing-file",
                        f"source file for '{table}' not found",
                        f"check sources.{table}.path in decisionframe.yaml",
                    )
                )
                continue
            if any(f.path == path for f in files):
                continue
            files.append(SourceFile(real_name, path, file_sha256(path)))
    return files, problems


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _is_utf8(sample: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a character cut at the sample's end is fine
    except UnicodeDecodeError:
        return False
    return True


_EBCDIC = {"cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140"}


def _rare_encoding(name: str) -> bool:
    return name.startswith("mac_") or name in _EBCDIC


def detect_encoding(sample: bytes) -> str | None:
    """The encoding charset-normalizer finds most likely for ``sample`` (None: no idea)."""
    from charset_normalizer import from_bytes

    found = list(from_bytes(sample))
    if not found:
        return None
    # Classic Mac OS and EBCDIC code pages are almost never what a case system exports,
    # yet on short name columns they can read "cleaner" than the real Windows-1252 (a file
    # of "José Núñez" and "Zoë Dubois" came out as mac_latin2 "Josť NķŮez"): they count
    # only when nothing else reads the bytes.
    matches = [m for m in found if not _rare_encoding(m.encoding)] or found
    # A short export has too little text to tell single-byte code pages apart (cp775 and
    # cp1252 both read "Zoë" cleanly); among the equally clean readings prefer Windows-1252,
    # the commonest non-UTF-8 export encoding, then charset-normalizer's own order.
    cleanest = min(m.chaos for m in matches)
    for match in matches:
        if match.chaos == cleanest and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return str(matches[0].encoding)


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text.strip() else ""


def sniff_delimiter(header_line: str) -> str:
    """The separator that splits the header into the most fields (',' on a tie)."""
    counts = {d: len(next(csv.reader([header_line], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def prepare_csv(
    file: SourceFile, source: SourceConfig, table: str, scratch: Path
) -> tuple[PreparedFile | None, list[Problem]]:
    """Check a CSV file is not empty, settle its encoding and delimiter, transcode if needed."""
    try:
        with _open_binary(file.path) as handle:
            sample = handle.read(SNIFF_BYTES)
    except (OSError, EOFError):  # a truncated or corrupt .gz
        return None, [
            Problem(
                file.display,
                "corrupt-compression",
                "the compressed file is corrupt or truncated",
                "copy or export the file again",
            )
        ]
    if not sample.lstrip(codecs.BOM_UTF8).strip():
        return None, [
            Problem(
                file.display,
                "empty-file",
                "the file is empty",
                "export the table again; the file has no header and no rows",
            )
        ]
    prepared = PreparedFile(file, file.path)
    if source.encoding is not None:
        encoding = source.encoding
        try:
            codecs.lookup(encoding)
        except LookupError:
            return None, [
                Problem(
                    file.display,
                    "unknown-encoding",
                    f"encoding '{encoding}' is not known",
                    "use a name such as utf-8, latin-1, cp1252 or utf-16",
                )
            ]
    elif _is_utf8(sample):
        encoding = "utf-8"
    else:
        encoding = detect_encoding(sample) or "utf-8"
        prepared.notes.append(f"{file.display}: encoding detected as {encoding}")
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        text = decoder.decode(sample, final=False)
    except UnicodeDecodeError as exc:
        guess = detect_encoding(sample)
        return None, [
            Problem(
                file.display,
                "bad-encoding",
                f"the file is not valid {encoding}",
                f"set `encoding: {guess}` for this source" if guess else "set `encoding:`",
                _line_of_offset(sample, exc.start),
            )
        ]
    text = text.lstrip("\ufeff")
    header_line = _first_line(text)
    delimiter = source.delimiter
    if delimiter is None:
        delimiter = sniff_delimiter(header_line)
        if delimiter != ",":
            prepared.notes.append(f"{file.display}: fields separated by {delimiter!r}")
    prepared.delimiter = delimiter
    prepared.encoding = encoding
    prepared.header = next(csv.reader([header_line], delimiter=delimiter), [])
    problems: list[Problem] = []
    if len(prepared.header) == 1 and source.delimiter is not None:
        sniffed = sniff_delimiter(header_line)
        if sniffed != delimiter:
            problems.append(
                Problem(
                    file.display,
                    "header-not-split",
                    f"the header is one field with delimiter {delimiter!r}",
                    f"the fields look separated by {sniffed!r}: set `delimiter: {sniffed!r}`",
                    1,
                )
            )
    if not text[len(header_line) :].strip():
        problems.append(
            Problem(
                file.display,
                "no-rows",
                f"the file has a header but no rows for '{table}'",
                "export the table again with its rows, or remove this source",
                1,
            )
        )
    if problems:
        return None, problems
    if codecs.lookup(encoding).name != "utf-8":
        prepared.read_path, problem = _transcode(file, encoding, scratch)
        if problem is not None:
            return None, [problem]
    return prepared, []


def _transcode(file: SourceFile, encoding: str, scratch: Path) -> tuple[Path, Problem | None]:
    """Write the file as UTF-8 into the private scratch folder, streaming."""
    scratch.mkdir(parents=True, exist_ok=True)
    target = scratch / f"{file.sha256[:16]}.csv"
    line = 1
    with (
        _open_binary(file.path) as raw,
        io.TextIOWrapper(raw, encoding=encoding, newline="") as text,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        try:
            for chunk in iter(lambda: text.read(1 << 20), ""):
                out.write(chunk)
                line += chunk.count("\n")
        except UnicodeDecodeError:
            return target, Problem(
                file.display,
                "bad-encoding",
                f"the file is not valid {encoding}",
                "set `encoding:` to the export's real encoding (often cp1252 or latin-1)",
                line,
            )
    return target, None


def _sheet_hint(file: SourceFile, engine: str) -> str:
    """The sheets the workbook has, to pick from (sheet names are layout, not personal
    data; a user told only "not found" had to open the file to see them)."""
    import pandas as pd

    try:
        with pd.ExcelFile(file.path, engine=engine) as book:  # type: ignore[arg-type]
            names = [str(name) for name in book.sheet_names]
    except Exception:  # the workbook itself is the problem: say what we can
        return "check `sheet:` (a sheet name or a 0-based index)"
    listed = ", ".join(f"'{name}' ({index})" for index, name in enumerate(names))
    return f"set `sheet:` to one of the workbook's sheets, by name or 0-based index: {listed}"


def read_spreadsheet(file: SourceFile, sheet: str | int | None) -> tuple[Any, list[Problem]]:
    """A sheet as a pandas frame of text (None for empty cells), or the problem."""
    import pandas as pd

    name = file.path.name.lower()
    engine = "xlrd" if name.endswith(".xls") else "odf" if name.endswith(".ods") else "openpyxl"
    try:
        frame = pd.read_excel(file.path, sheet_name=sheet or 0, dtype=str, engine=engine)  # type: ignore[call-overload]
    except Exception as exc:  # a corrupt or mislabelled workbook: no traceback for the user
        if sheet is not None and isinstance(exc, ValueError | KeyError | IndexError):
            problem = Problem(
                file.display,
                "bad-sheet",
                "the sheet was not found in the workbook",
                _sheet_hint(file, engine),
            )
        else:
            problem = Problem(
                file.display,
                "unreadable-file",
                "the workbook could not be read",
                "save it again as .xlsx, or export the sheet as .csv",
            )
        return None, [problem]
    frame.columns = [str(c) for c in frame.columns]
    if frame.empty:
        return None, [
            Problem(
                file.display,
                "no-rows",
                "the sheet has a header but no rows"
                if len(frame.columns)
                else "the sheet is empty",
                "check `sheet:`, or export the table again with its rows",
                1,
            )
        ]
    frame = frame.astype(object).where(frame.notna(), None)
    return frame, []


__all__ = [
    "PreparedFile",
    "SourceFile",
    "detect_encoding",
    "file_sha256",
    "prepare_csv",
    "read_spreadsheet",
    "resolve_files",
    "sniff_delimiter",
]
