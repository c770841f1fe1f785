"""Limits on an uploaded XLSX before anything parses it (zip bombs).

An XLSX is a zip of XML parts. A 1,8 MB workbook can hold 30 million cells (the XML compresses
≈ 400:1), or two cells far apart that make the parser build a dense sheet of millions: the reader
(calamine, then a Python object per cell) took the server from 0,4 to 2,7 GB. Here every part is
decompressed as a stream, a megabyte at a time, and counted — uncompressed bytes, cells, and the
sheet's area (highest row × highest column a cell can land in) — and the file is refused as soon as
a limit is passed. Memory stays at a few megabytes whatever the file declares.

The counting is conservative. A cell is any `c` element (any namespace prefix); its position is
its `r` reference or, without one, the column after the previous cell of its row; a row's number
is its `r` or the one after the previous row. The common writers (Excel, LibreOffice, openpyxl,
xlsxwriter) put `r` first in every cell and row; that form is counted at C speed, anything else
row by row or cell by cell.
"""

from __future__ import annotations

import re
import zipfile
from operator import itemgetter
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
MAX_PARTS = 1000
MAX_TAG = 1 << 20  # no legitimate tag is this long



class _Patterns:
    def __init__(self, prefix: bytes):
        self.plain = not prefix
        self.cell = re.compile(rb"<" + prefix + rb"c[\s/>]")
        self.row = re.compile(rb"<" + prefix + rb"row[\s/>]")
        self.cell_with_r = re.compile(rb"<" + prefix + rb"c\s[^>]*\br\s*=")

    def cells(self, text: bytes) -> int:
        if self.plain:  # str.count runs at memory speed; a regex tries every "<"
            return sum(text.count(b"<c" + end) for end in (b">", b" ", b"/", b"\t", b"\n", b"\r"))
        return len(self.cell.findall(text))

    def rows(self, text: bytes) -> int:
        if self.plain:
            return sum(text.count(b"<row" + end) for end in (b">", b" ", b"/", b"\t", b"\n", b"\r"))
        return len(self.row.findall(text))


# Without a namespace prefix the patterns start with a literal ("<c"), which the regex engine finds
# fast; text that may hold prefixed elements (it has ":c" or ":row") gets the general ones.
PLAIN = _Patterns(b"")
PREFIXED = _Patterns(rb"(?:[A-Za-z_][\w.-]*:)?")
FAST_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
FAST_ROW = re.compile(rb'<row r="([0-9]{1,7})"')
ATTR = re.compile(rb"""([A-Za-z_:][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
CELL_REF = re.compile(rb"([A-Za-z]{1,3})([0-9]{1,7})")
DTD = (b"<!DOCTYPE", b"<!ENTITY")


# A cell (any namespace prefix) with what it holds, up to its end tag without running into the next cell (a lazy
# ".*?" scanned to the chunk's end from every chart element: minutes for a chart cache); a saved value is a
# non-empty <v>, or an empty one on a formula whose result is text (t="str": Excel's =IF(...;"";...)).
_P = rb"(?:[A-Za-z_][\w.-]*:)?"
FORMULA_CELL = re.compile(rb"<" + _P + rb"c(?=[\s/>])([^>]*?)(?:/>|>((?:[^<]|<(?!" + _P + rb"c[\s/>]))*?)</" + _P + rb"c>)")
FORMULA = re.compile(rb"<" + _P + rb"f[\s/>]")
SAVED_VALUE = re.compile(rb"<" + _P + rb"v(?:\s[^>]*)?>[^<]")
EMPTY_VALUE = re.compile(rb"<" + _P + rb"v(?:\s[^>]*)?(?:/>|></" + _P + rb"v>)")
TEXT_RESULT = re.compile(rb"""\bt\s*=\s*["']str["']""")
# The parts that hold cells: a worksheet's root element (wherever the workbook's links put it). Not the
# calculation chain (xl/calcChain.xml lists every formula cell as <c r=...>) nor charts (<c:f> is a range).
SHEET_ROOT = re.compile(rb"<" + _P + rb"(?:worksheet|dialogsheet)[\s>]")


class WorkbookRefused(Exception):
    """The workbook is over a limit or not a workbook; the message is fixed (safe to show)."""


@dataclass
class _Sheet:
    cells: int = 0
    max_row: int = 0
    max_col: int = 0
    row: int = 0  # upper bounds of the current row and column
    col: int = 0


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _r(tag: bytes) -> bytes | None:
    """The value of a tag's `r` attribute, parsed as XML does (not fooled by text inside other values)."""
    for m in ATTR.finditer(tag):
        if m.group(1) == b"r":
            return m.group(2) if m.group(2) is not None else m.group(3)
    return None


def _tag_at(text: bytes, start: int) -> bytes:
    end = text.find(b">", start)
    return text[start:end + 1 if end >= 0 else len(text)]


def _scan(text: bytes, s: _Sheet) -> None:
    """Count the cells in `text` (whole tags) and push the sheet's bounds."""
    p = PREFIXED if b":c" in text or b":row" in text else PLAIN
    cells = p.cells(text)
    s.cells += cells
    fast, fast_rows = FAST_CELL.findall(text), FAST_ROW.findall(text)
    if len(fast) == cells and len(fast_rows) == p.rows(text):
        if fast:
            s.max_col = max(s.max_col, max(map(_col, set(map(itemgetter(0), fast)))))
            s.max_row = max(s.max_row, max(map(int, map(itemgetter(1), fast))))
        if fast_rows:
            s.max_row = max(s.max_row, max(map(int, fast_rows)))
        s.row, s.col = s.max_row, s.max_col
        return
    starts = [m.start() for m in p.row.finditer(text)]
    for i, (a, b) in enumerate(zip([0, *starts], [*starts, len(text)])):
        piece = text[a:b]
        if i > 0:  # a new row (the first piece continues the row before this text)
            ref = _r(_tag_at(piece, 0))
            s.row = int(ref) if ref and ref.isdigit() else s.row + 1
            s.col = 0
        _scan_row(piece, s, p)
        s.max_row = max(s.max_row, s.row)


def _scan_row(piece: bytes, s: _Sheet, p: _Patterns) -> None:
    n = p.cells(piece)
    fast = FAST_CELL.findall(piece)
    if b"=" not in piece or len(p.cell_with_r.findall(piece)) == len(fast):
        # The cells without the fast form have no `r` at all: each is at most one column further.
        if fast:
            s.col = max(s.col, max(map(_col, set(map(itemgetter(0), fast)))))
            s.row = max(s.row, max(map(int, map(itemgetter(1), fast))))
        s.col += n - len(fast)
        s.max_col = max(s.max_col, s.col)
        return
    for m in p.cell.finditer(piece):  # an odd writer: cell by cell
        ref = _r(_tag_at(piece, m.start()))
        pos = CELL_REF.fullmatch(ref) if ref else None
        if pos:
            s.col = _col(pos.group(1))
            s.row = max(s.row, int(pos.group(2)))
        else:
            s.col += 1
        s.max_col = max(s.max_col, s.col)


def _parts(z: zipfile.ZipFile, info: zipfile.ZipInfo, budget: dict):
    """The part's bytes as whole-tag pieces, counted against the uncompressed budget."""
    carry = b""
    with z.open(info) as f:
        while chunk := f.read(CHUNK):
            budget["bytes"] -= len(chunk)
            if budget["bytes"] < 0:
                raise WorkbookRefused("Arbetsboken är för stor uppackad.")
            data = carry + chunk
            if any(d in data for d in DTD):
                raise WorkbookRefused("Arbetsboken innehåller en DTD; sådana tas inte emot.")
            cut = data.rfind(b"<")
            if cut <= 0:
                if len(data) > MAX_TAG:
                    raise WorkbookRefused("Arbetsboken innehåller ett orimligt stort element.")
                carry = data
                continue
            carry = data[cut:]
            if len(carry) > MAX_TAG:
                raise WorkbookRefused("Arbetsboken innehåller ett orimligt stort element.")
            yield data[:cut]
    if carry:
        yield carry


RELATIONSHIP = re.compile(rb"<" + _P + rb"Relationship\b[^>]*>")


def _linked_sheets(z: zipfile.ZipFile, infos) -> set[str]:
    """The parts the workbook's links name as worksheets (lower-case zip paths), as the reader finds them; with
    the parts whose root element is a worksheet, these are counted. The links file is small; a huge one is
    not read here (the budget counts it like any part)."""
    rels = next((i for i in infos if i.filename.lower() == "xl/_rels/workbook.xml.rels"), None)
    if rels is None or rels.file_size > CHUNK:
        return set()
    out = set()
    for tag in RELATIONSHIP.findall(z.read(rels)[:CHUNK]):
        attrs = {m.group(1): (m.group(2) if m.group(2) is not None else m.group(3)) for m in ATTR.finditer(tag)}
        kind, target = attrs.get(b"Type", b""), attrs.get(b"Target", b"")
        if kind.endswith((b"/worksheet", b"/dialogsheet")) and target:
            path = target.decode("utf-8", "replace").lstrip("/")
            out.add((path if path.startswith("xl/") or target.startswith(b"/") else f"xl/{path}").lower())
    return out


def _refuse_formula_without_value(text: bytes) -> None:
    """A formula cell with no value saved with it (a workbook written by a program that does not calculate, such
    as a script) would be read as empty without a word: refused, naming the cell."""
    for attrs, inner in FORMULA_CELL.findall(text):
        if inner and FORMULA.search(inner) and not SAVED_VALUE.search(inner) and not (
                TEXT_RESULT.search(attrs) and EMPTY_VALUE.search(inner)):
            ref = _r(b"<c" + attrs + b">")
            where = f"Cellen {ref.decode()}" if ref and CELL_REF.fullmatch(ref) else "En cell"
            raise WorkbookRefused(
                f"{where} har en formel men inget sparat värde (arbetsboken är skriven av ett program som inte räknar "
                "ut formler), så den skulle läsas som tom. Öppna och spara arbetsboken i Excel eller LibreOffice, "
                "eller spara tabellen som CSV, och läs in igen.")


def check_workbook(path: Path, *, max_cells: int, max_bytes: int) -> None:
    """Raise WorkbookRefused when the XLSX at `path` is over a limit; it is only read as a stream."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise WorkbookRefused("Arbetsboken kunde inte läsas (skadad eller inte XLSX).") from None
    too_many = f"Arbetsboken har för många celler (högst {max_cells:,} tas emot).".replace(",", " ")
    with z:
        infos = z.infolist()
        if len(infos) > MAX_PARTS:
            raise WorkbookRefused("Arbetsboken har för många delar.")
        if any(i.flag_bits & 0x1 for i in infos):
            raise WorkbookRefused("Krypterade arbetsböcker tas inte emot.")
        # What the zip declares first (cheap: refuses an honest bomb at once), then what it holds.
        if sum(i.file_size for i in infos) > max_bytes:
            raise WorkbookRefused("Arbetsboken är för stor uppackad.")
        budget, cells = {"bytes": max_bytes}, 0
        sheets = _linked_sheets(z, infos)
        try:
            for info in infos:
                # Every part whose root is a worksheet, not only those under xl/worksheets/: the workbook's own
                # links may put a sheet anywhere (xl/ws/sheet1.XML), and the reader follows them.
                s, sheet = _Sheet(), (info.filename.lower() in sheets) or None
                for text in _parts(z, info, budget):
                    if sheet is None:  # the part's first piece names its root element
                        sheet = bool(SHEET_ROOT.search(text))
                    if not sheet:
                        continue  # still read to its end: its unpacked bytes count against the budget
                    _scan(text, s)
                    if cells + s.cells > max_cells or s.max_row * s.max_col > max_cells:
                        raise WorkbookRefused(too_many)
                    if b"<f" in text or b":f" in text:
                        _refuse_formula_without_value(text)
                cells += s.cells
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError):
            raise WorkbookRefused("Arbetsboken kunde inte läsas (skadad eller inte XLSX).") from None
