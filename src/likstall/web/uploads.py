"""Reading an upload: the size limits before and while the body arrives, files straight into staging.

The route has already authenticated the request (before any byte of the body is read). Here: a
declared Content-Length over the limit is refused at once; the body is then streamed through a
counter that stops at the limit (a client that sends no length, or lies, gets no further); each
file part goes to the session's private staging folder under a name the server chose, and is
refused past the per-file limit. Workbooks are checked for their uncompressed size and cells
(`ingest.workbook_limits.check_workbook`) before anything parses them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from starlette.formparsers import MultiPartException, MultiPartParser

from ..ingest.reader import safe_name
from .settings import MB, Settings

UPLOAD_TYPES = {".csv", ".tsv", ".xlsx", ".parquet"}
CEILING = 4096 * MB  # the route's hard limit; the configured limits below it are checked here


class UploadRefused(Exception):
    """Why an upload was refused, as a fixed sentence (safe to show), with its HTTP status."""

    def __init__(self, text: str, status: int = 400):
        super().__init__(text)
        self.text, self.status = text, status


@dataclass
class Upload:
    csrf: str = ""
    extract_date: str = ""
    files: list[Path] = field(default_factory=list)
    names: set[str] = field(default_factory=set)


def size(n: int) -> str:
    return f"{n // MB} MB" if n >= MB else f"{max(1, n // 1024)} kB"


def too_large(limits: Settings) -> UploadRefused:
    return UploadRefused(f"Uppladdningen är större än {size(limits.max_request)}; dela upp den.", 413)


def check_length(request: Request, limits: Settings) -> None:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limits.max_request):
        raise too_large(limits)


async def _capped(request: Request, limits: Settings):
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limits.max_request:
            raise too_large(limits)
        yield chunk


def _stored_name(filename: str | None, taken: set[str]) -> str:
    """The uploaded file's name as the server keeps it: masked, no path, no odd characters, unique."""
    name = safe_name(Path(filename or "fil").name)
    name = re.sub(r"[^\w.\-åäöÅÄÖ]+", "_", name).strip("._")[:80] or "fil"
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        raise UploadRefused("Bara CSV-, XLSX- och Parquet-filer tas emot.")
    out, n = f"{stem}{suffix}", 1
    while out in taken:
        n += 1
        out = f"{stem}-{n}{suffix}"
    return out


async def read_upload(request: Request, folder: Path, limits: Settings) -> Upload:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UploadRefused("Uppladdningen ska skickas som ett formulär (multipart/form-data).")
    parser = MultiPartParser(request.headers, _capped(request, limits), max_files=limits.max_files, max_fields=10,
                             max_part_size=64 * 1024)
    try:
        form = await parser.parse()
    except MultiPartException:
        raise UploadRefused(f"Uppladdningen kunde inte tolkas (högst {limits.max_files} filer).") from None
    up = Upload(csrf=str(form.get("csrf") or ""), extract_date=str(form.get("extract_date") or ""))
    try:
        for f in form.getlist("files"):
            if isinstance(f, str):
                continue
            name = _stored_name(f.filename, up.names)
            written = 0  # (not `size`, which would hide the function below that writes the limit)
            with open(folder / name, "wb") as out:
                while chunk := await f.read(1 << 20):
                    written += len(chunk)
                    if written > limits.max_file:
                        raise UploadRefused(f"En fil är större än {size(limits.max_file)}.", 413)
                    out.write(chunk)
            up.files.append(folder / name)
            up.names.add(name)
    finally:
        await form.close()
    if not up.files:
        raise UploadRefused("Välj minst en fil att ladda upp.")
    return up


def extract_date(text: str) -> dt.date:
    if not text:
        return dt.date.today()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise UploadRefused("Uttagsdatumet ska skrivas ÅÅÅÅ-MM-DD.")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UploadRefused("Uttagsdatumet är inget giltigt datum (ÅÅÅÅ-MM-DD).") from None
