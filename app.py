"""The leaders' page (first cut): what the marts hold today. `streamlit run app.py`.

The full page (headline figures, NPS trend, NPS-to-revenue, funnel, channels, support, close the
loop, customer lookup) and its read-only published snapshot come with the page issue. This cut
opens the warehouse read-only for each query, so it never holds the file while a run writes.
"""

import duckdb
import streamlit as st

from dagster_project.settings import get_settings

MARTS = ["customer_360", "nps_monthly", "nps_revenue", "channel_performance_daily",
         "journey_funnel", "touchpoint_performance", "support_performance", "detractor_followups"]


@st.cache_data(ttl=60)
def mart_rows() -> dict[str, int | None]:
    path = get_settings().warehouse_path
    with duckdb.connect(str(path), read_only=True) as con:
        present = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()}
        return {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0]
                if m in present else None for m in MARTS}


st.set_page_config(page_title="Customer experience", layout="wide")
st.title("Customer experience")
try:
    counts = mart_rows()
except duckdb.Error as exc:
    st.warning(f"The warehouse cannot be read right now ({str(exc).splitlines()[0]}). "
               "Run `make run` first, or retry when the running pipeline has finished.")
    st.stop()
st.caption("Rows per mart in the warehouse (a mart not built yet shows as missing).")
st.table({"mart": list(counts), "rows": [f"{n:,}" if n is not None else "missing"
                                          for n in counts.values()]})
