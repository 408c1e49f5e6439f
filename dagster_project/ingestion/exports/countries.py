"""Country names as tools write them (`United States`, `Deutschland`, `Việt Nam`, `USA`) ->
ISO 3166-1 alpha-2, for exports whose country is a name (HubSpot's `Country/Region`).

`country_names.csv` holds the territory names of CLDR (via babel 2.18, Unicode licence) in 13
languages, each also without diacritics, plus common aliases, lower-cased. A value it does not
know (a typo, a region) is kept as written: the staging layer sees what the export said.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from dagster_project.ingestion.exports.base import map_values

NAMES_FILE = Path(__file__).with_name("country_names.csv")


@cache
def country_names() -> dict[str, str]:
    with open(NAMES_FILE, encoding="utf-8", newline="") as fh:
        return {row["name"]: row["code"] for row in csv.DictReader(fh)}


def country_code_sql(text: str) -> str:
    """SQL: the alpha-2 code of a country name (or code) `text`; an unknown name as written."""
    return (f"case when regexp_full_match(trim({text}), '[A-Za-z]{{2}}') then upper(trim({text})) "
            f"else {map_values(text, country_names())} end")
