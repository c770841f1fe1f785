"""A tiny XLSX that decompresses to millions of cells (a zip bomb), written in a fraction of a second."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                 b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
                 b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
                 b'/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                 b'officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            b'<sheet name="cases" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              b'spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _repeated(head: bytes, block: bytes, times: int, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of head + block * times + tail, without compressing the repetition: one block compressed
    on its own (a full flush resets the window) is valid again after itself."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    middle = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return first + middle * times + last, crc, len(head) + len(block) * times + len(tail)


def write_zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> None:
    """entries: (name, raw deflate data, crc32, uncompressed size). No zip64: sizes below 4 GB."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in entries:
        n = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size, len(n),
                               0, 0, 0, 0, 0, offset) + n
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))


def _frame() -> list[tuple[str, bytes, int, int]]:
    small = (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS), ("xl/workbook.xml", WORKBOOK),
             ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS))
    return [(n, _deflate(d), zlib.crc32(d), len(d)) for n, d in small]


def xlsx_bomb(path: Path, rows: int = 1_000_000, cols: int = 30) -> Path:
    """A workbook whose sheet 'cases' holds rows × cols numeric cells (30 M by default, ≈ 1,7 MB on disk)."""
    row = b"<row>" + b"<c><v>1</v></c>" * cols + b"</row>"
    per_block = 1000 if rows >= 1000 else rows
    data, crc, size = _repeated(SHEET_HEAD, row * per_block, rows // per_block, SHEET_TAIL)
    write_zip(path, [*_frame(), ("xl/worksheets/sheet1.xml", data, crc, size)])
    return path


def xlsx_sheet(path: Path, sheet_data: bytes) -> Path:
    """A workbook with one sheet 'cases' whose <sheetData> holds `sheet_data` as given."""
    sheet = SHEET_HEAD + sheet_data + SHEET_TAIL
    write_zip(path, [*_frame(), ("xl/worksheets/sheet1.xml", _deflate(sheet), zlib.crc32(sheet), len(sheet))])
    return path
