"""dbt docs that start somewhere: the overview page and the page's exposure (issue 25), read from
the manifest that `make manifest` / `cdp run` prepare (dbt parse), not from the YAML by hand."""

import json
import re
from pathlib import Path

from dagster_project.settings import PROJECT_ROOT
from dagster_project.transform.project import prepare_manifest


def manifest() -> dict:
    return json.loads(Path(prepare_manifest()).read_text())


def test_the_docs_open_on_an_overview_that_says_where_to_start():
    overview = manifest()["docs"]["doc.cdp.__overview__"]["block_contents"]
    for must in ("## The layers", "## Where to start", "customer_360", "cdp sql",
                 "CDP_CURRENCY", "web-tracked", "CRM revenue", "cx_leaders_page"):
        assert must in overview, must


def test_the_page_is_an_exposure_of_exactly_the_marts_it_reads():
    exposure = manifest()["exposures"]["exposure.cdp.cx_leaders_page"]
    read = set(re.findall(r"\bmarts\.([a-z0-9_]+)",
                          (PROJECT_ROOT / "dagster_project" / "page.py").read_text()))
    assert read and {node.removeprefix("model.cdp.")
                     for node in exposure["depends_on"]["nodes"]} == read
    assert exposure["type"] == "dashboard" and exposure["owner"]["name"]


def test_every_money_column_of_the_marts_names_its_currency():
    nodes = [n for n in manifest()["nodes"].values()
             if n["resource_type"] == "model" and n["schema"] == "marts"]
    money = [(n["name"], c) for n in nodes for c, column in n["columns"].items()
             if c.endswith("revenue")]
    assert len(money) >= 7
    for model, column in money:
        description = next(n for n in nodes if n["name"] == model)["columns"][column]["description"]
        assert "CDP_CURRENCY" in description, (model, column)
        opening = description.lower()[:60]  # each says first which revenue it is
        assert ("web-tracked revenue" in opening) != ("crm revenue" in opening), (model, column)
