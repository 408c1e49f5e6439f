"""Serve the leaders' page (`make app`): `streamlit run app.py` with the page's heavy imports
done when the server starts, not in the first visitor's script run.

Streamlit runs app.py in the server's own process and imports what it imports on the first
visit; pandas, duckdb and plotly take a second or more there (issue 25, point 11: the headline
in <= 2 s on a fresh server). Importing them here, before Streamlit's CLI takes over the same
process, moves that second to the server's start, where nobody waits for it. Arguments are
Streamlit's own (`--server.port 8501`, ...).
"""

import sys

from dagster_project.settings import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"


def preload() -> None:
    """Every module of app.py that costs time to import; later imports find them loaded."""
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import streamlit  # noqa: F401

    import dagster_project.page  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    preload()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
