"""The first-cut page: rows per mart, and a readable message when the warehouse is missing."""

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dagster_project.settings import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_data.clear()  # the page caches query results across runs in one process


def test_page_lists_rows_per_mart(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create table marts.nps_monthly as "
                    "select * from range(1234)")
    monkeypatch.setenv("CDP_WAREHOUSE_PATH", str(path))
    page = AppTest.from_file(APP).run(timeout=30)
    assert not page.exception
    table = page.table[0].value
    rows = dict(zip(table["mart"], table["rows"], strict=True))
    assert rows["nps_monthly"] == "1,234" and rows["customer_360"] == "missing"


def test_page_explains_a_missing_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("CDP_WAREHOUSE_PATH", str(tmp_path / "none.duckdb"))
    page = AppTest.from_file(APP).run(timeout=30)
    assert not page.exception
    assert "cannot be read right now" in page.warning[0].value
