"""What in the landing zone no source reads, and why (issue 25): a file at the top of the zone,
a folder that is not an entity folder (`crm/order/`), a file of a kind no loader reads
(`contacts.xlsx`). `cdp run` and `cdp status` list them, so a zone laid out wrong is never
read as "nothing new" in silence.

Names starting with `_` or `.` are left out on purpose (the generator's `_ground_truth/`,
`.DS_Store`), as are the `cdp_format.yml` files the loaders read.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from dagster_project.ingestion.formats import FORMAT_FILE
from dagster_project.ingestion.sources import Source

# Advice for kinds of files people drop in by mistake.
_ADVICE = {
    ".xlsx": "an Excel workbook: save it as CSV (UTF-8)", ".xls": "an Excel workbook: save it "
    "as CSV (UTF-8)", ".zip": "an archive: unzip it here", ".tsv": "tab-separated: rename it "
    ".csv and name `delimiter: \"\\t\"` in a cdp_format.yml beside it",
    ".txt": "a text file: if it holds CSV, rename it .csv",
}
# How many unread entries are listed one by one; the rest are counted.
LISTED = 20


@dataclass(frozen=True)
class Unread:
    path: str  # relative to the landing zone; a folder ends with `/`
    why: str


def unread_entries(landing_dir: Path, sources: tuple[Source, ...]) -> list[Unread]:
    """Every file or folder of the landing zone that no source reads, with why and what would
    be read instead. A folder is listed once, not each file in it."""
    if not landing_dir.is_dir():
        return []
    folders = sorted({s.folder for s in sources})
    suffixes = tuple(p.removeprefix("**/*").lower() for p in sources[0].patterns)
    found: list[Unread] = []

    def walk(folder: Path, rel: str) -> None:
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(("_", ".")):
                continue
            path = f"{rel}{entry.name}"
            if entry.is_dir():
                if path in folders:
                    _unread_files(entry, path, suffixes, found)
                elif any(f.startswith(path + "/") for f in folders):
                    walk(entry, path + "/")
                else:
                    found.append(Unread(path + "/", _not_a_folder(path, folders)))
            elif entry.name != FORMAT_FILE:
                where = [f for f in folders if f.startswith(rel)] or folders
                found.append(Unread(path, f"not in an entity folder ({', '.join(where)}): move "
                                          "it into the folder of its source"))

    walk(landing_dir, "")
    return found


def _not_a_folder(path: str, folders: list[str]) -> str:
    close = difflib.get_close_matches(path, folders, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}/?" if close else ""
    return f"not an entity folder (the loaders read {', '.join(folders)}){hint}"


def _unread_files(folder: Path, rel: str, suffixes: tuple[str, ...], found: list[Unread]) -> None:
    """Files inside an entity folder that no loader reads (their suffix)."""
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(("_", ".")) for p in parts) or not path.is_file():
            continue
        name = path.name.lower()
        if name == FORMAT_FILE or name.endswith(suffixes):
            continue
        suffix = path.suffix.lower()
        advice = _ADVICE.get(suffix, f"a {suffix or 'suffix-less'} file")
        found.append(Unread(f"{rel}/{path.relative_to(folder).as_posix()}",
                            f"{advice} (read here: {_kinds(suffixes)})"))


def _kinds(suffixes: tuple[str, ...]) -> str:
    """`.csv, .json, ... (each also .gz)` from the loaders' suffixes."""
    plain = [s for s in suffixes if not s.endswith(".gz")]
    return ", ".join(plain) + " (and .gz of " + ", ".join(
        s.removesuffix(".gz") for s in suffixes if s.endswith(".gz")) + ")"


def unread_lines(entries: list[Unread], indent: str = "  ") -> list[str]:
    """The entries as lines, LISTED of them, then a count of the rest."""
    if not entries:
        return []
    lines = [f"{indent}not read ({len(entries)} in the landing zone):"]
    lines += [f"{indent}  {e.path}: {e.why}" for e in entries[:LISTED]]
    if len(entries) > LISTED:
        lines.append(f"{indent}  ... and {len(entries) - LISTED} more")
    return lines
