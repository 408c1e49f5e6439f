"""`cdp run` says what is wrong, with a non-zero exit code, instead of a traceback."""

from conftest import run_cdp


def test_bad_setting_is_named(tmp_path):
    done = run_cdp("run", env={"CDP_TIMEZONE": "Mars/Olympus_Mons",
                               "CDP_LANDING_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert "CDP_TIMEZONE='Mars/Olympus_Mons' is not an IANA time zone" in done.stdout


def test_missing_landing_zone_is_explained(tmp_path):
    done = run_cdp("run", env={"CDP_LANDING_DIR": str(tmp_path / "nowhere")})
    assert done.returncode == 2 and "does not exist" in done.stdout


def test_failed_step_is_named_and_exit_code_is_non_zero(tmp_path):
    (tmp_path / "landing").mkdir()
    (tmp_path / "not_a_file.duckdb").mkdir()  # the warehouse path is a folder: loads fail
    done = run_cdp("run", env={"CDP_LANDING_DIR": str(tmp_path / "landing"),
                               "CDP_WAREHOUSE_PATH": str(tmp_path / "not_a_file.duckdb")})
    assert done.returncode == 1, done.stdout
    assert "cdp run: FAILED" in done.stdout
    assert "step raw__crm_contacts" in done.stdout


def test_generate_never_writes_over_existing_exports(tmp_path):
    (tmp_path / "crm" / "orders").mkdir(parents=True)
    (tmp_path / "crm" / "orders" / "mine.csv").write_text("order_id\n1\n")
    done = run_cdp("generate", "--out", str(tmp_path), "--customers", "50", env={})
    assert done.returncode == 2 and "cdp generate:" in done.stdout
    assert "Traceback" not in done.stderr
    assert (tmp_path / "crm" / "orders" / "mine.csv").read_text() == "order_id\n1\n"
