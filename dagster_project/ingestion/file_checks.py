"""Checks of a CSV file's shape before it is read, for the two mistakes a spreadsheet makes most
(issue 25): a file saved in a legacy encoding (Windows-1252: `JosÃ© MÃ¼ller`, or worse, half of
its rows rejected by the UTF-8 reader and the others mangled), and a file separated by
semicolons or tabs (a European Excel's "CSV"), which reads as one column.

Either is rejected whole, with what to do, unless the folder's cdp_format.yml names the
`encoding:` or `delimiter:`: nothing of the file is loaded and its bytes stay as they are.
"""

from __future__ import annotations

import gzip
from pathlib import Path

# Separators a one-column header is checked for, and how the advice names them.
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def not_utf8_reason(path: Path, rel: str) -> str | None:
    """Why `path` is not read as UTF-8, else None: invalid UTF-8 on two lines or more (a file
    in a legacy encoding), naming the first invalid byte and its line. One broken line in a
    UTF-8 file is a broken row, rejected alone by the reader as always. The file is decoded
    as a stream at C speed (Python steps only from one invalid line to the next)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        data_lines = _invalid_lines(fh)
    if len(data_lines) < 2:
        return None
    (line, byte) = data_lines[0]
    return (f"{rel} is not UTF-8 text (byte 0x{byte:02X} at line {line}, and more lines "
            "after it): name its encoding in a cdp_format.yml beside it (e.g. "
            "`encoding: cp1252` for a file saved by Excel on Windows, `latin-1`, `utf-16`), or "
            "export it again as UTF-8. Nothing of it was loaded")


def _invalid_lines(fh, wanted: int = 2) -> list[tuple[int, int]]:
    """(line number, first invalid byte) of the first `wanted` lines holding invalid UTF-8."""
    found: list[tuple[int, int]] = []
    carry, line = b"", 1
    for block in iter(lambda: fh.read(1 << 20), b""):
        block = carry + block
        # Decode up to the last line end; the rest is carried to the next block.
        end = block.rfind(b"\n") + 1 or len(block)
        text, carry = block[:end], block[end:]
        start = 0
        while start < len(text):
            try:
                text[start:].decode("utf-8")
                break
            except UnicodeDecodeError as exc:
                at = start + exc.start
                found.append((line + text.count(b"\n", 0, at), text[at]))
                if len(found) == wanted:
                    return found
                start = text.find(b"\n", at) + 1 or len(text)
        line += text.count(b"\n")
    if carry:
        try:
            carry.decode("utf-8")
        except UnicodeDecodeError as exc:
            found.append((line, carry[exc.start]))
    return found[:wanted]


def other_delimiter_reason(header: list[str], rel: str) -> str | None:
    """Why a CSV whose header reads as one column looks separated by something else than a
    comma, else None."""
    if len(header) != 1:
        return None
    for delimiter, name in _OTHER_DELIMITERS.items():
        if delimiter in header[0]:
            shown = "\\t" if delimiter == "\t" else delimiter
            return (f"{rel} looks {name}-separated (its header {header[0][:80]!r} reads as "
                    f"one column with commas): export it comma-separated, or name "
                    f"`delimiter: \"{shown}\"` in a cdp_format.yml beside it")
    return None
