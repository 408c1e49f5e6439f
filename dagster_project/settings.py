"""Every `CDP_*` setting, read here and nowhere else.

Relative paths are taken from the project root (the folder holding `pyproject.toml`), so the
loaders, dbt (which runs with `dbt/` as its working directory) and the page agree on one file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A `CDP_*` setting has a value the pipeline cannot use."""


def _path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def _zone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            f"{name}={value!r} is not an IANA time zone (e.g. Asia/Ho_Chi_Minh)") from exc
    return value


def _hour(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 23:
        raise SettingsError(f"CDP_SCHEDULE_HOUR={value!r} is not an hour of the day (0-23)")
    return int(value)


def _hours(value: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        hours = 0.0
    if not hours > 0:
        raise SettingsError(f"CDP_MART_FRESHNESS_HOURS={value!r} is not a positive number of hours")
    return hours


# The bundled dbt project; CDP_DBT_PROJECT_DIR may name a fork of it (Settings.dbt_project_dir).
BUNDLED_DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"

# The landing zone's sources (ingestion/__init__.py SOURCES; named here, as settings.py imports
# nothing of the project: tests/test_settings_resource.py checks that the two agree).
SOURCE_NAMES = ("crm_contacts", "crm_orders", "crm_tickets", "web_events", "survey_responses")

# Every setting's variable, in the order of README's tables. The Dagster resource
# (settings_resource.py) has one field per name, lower-cased without the `CDP_` prefix.
VARIABLES = (
    "CDP_LANDING_DIR", "CDP_WAREHOUSE_PATH", "CDP_TIMEZONE", "CDP_SOURCE_TIMEZONE", "CDP_AS_OF",
    "CDP_DUCKDB_MEMORY_LIMIT", "CDP_DUCKDB_THREADS", "CDP_DBT_PROJECT_DIR", "CDP_SCHEDULE_HOUR",
    "CDP_MART_FRESHNESS_HOURS", "CDP_FAILURE_WEBHOOK_URL", "CDP_MAX_REJECTED_RATE",
    "CDP_OPTIONAL_SOURCES", "CDP_RELOAD_REJECTED", "CDP_RUN_WAIT_SECONDS",
    "CDP_ENGINE", "CDP_SPARK_DIR", "CDP_SPARK_DRIVER_MEMORY",
    "CDP_SNAPSHOT_PATH", "CDP_SHOW_PERSONAL_DATA", "CDP_APP_PASSWORD", "CDP_CURRENCY",
)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise SettingsError(f"CDP_RUN_WAIT_SECONDS={value!r} is not a number of seconds "
                            "(0 or more; 0: do not wait)")
    return seconds


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise SettingsError(f"{name}={value!r} is not true or false")
    return lowered in ("true", "1", "yes")


ENGINES = ("duckdb", "spark")


def _currency(value: str) -> str:
    """An ISO 4217 alphabetic code (three letters, e.g. USD, EUR, VND), upper-cased."""
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise SettingsError(f"CDP_CURRENCY={value!r} is not an ISO 4217 currency code "
                            "(three letters, e.g. USD, EUR or VND)")
    return code


def _engine(value: str) -> str:
    engine = value.strip().lower()
    if engine not in ENGINES:
        raise SettingsError(f"CDP_ENGINE={value!r} is not an engine: use duckdb (the default) "
                            "or spark")
    return engine


def _memory(value: str) -> str:
    if not re.fullmatch(r"[0-9]+[kKmMgGtT]", value.strip()):
        raise SettingsError(f"CDP_SPARK_DRIVER_MEMORY={value!r} is not a JVM memory size "
                            "(e.g. 2g or 512m)")
    return value.strip()


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    timezone: str = "UTC"
    source_timezone: str | None = None
    as_of: date | None = None
    duckdb_memory_limit: str = "4GB"
    duckdb_threads: int | None = None
    schedule_hour: int = 6
    mart_freshness_hours: float = 26.0
    failure_webhook_url: str | None = None
    max_rejected_rate: float = 0.01  # above it, a raw load's soft check warns
    # Sources a run may find no file of (else `cdp run` fails, naming the source's folder).
    optional_sources: tuple[str, ...] = ()
    # Read again every file with rejected rows (`cdp run --reload-rejected` sets it for a run).
    reload_rejected: bool = False
    # How long a run waits for another run that holds the warehouse (run_lock.py); 0: it stops.
    run_wait_seconds: float = 0.0
    # The page: the published snapshot it reads (default: beside the warehouse), whether it shows
    # emails and phones in full, and the password it asks for (unset: no password).
    snapshot_path: Path | None = None
    show_personal_data: bool = False
    app_password: str | None = field(default=None, repr=False)
    # The reporting currency (ISO 4217) of every money column of the marts: the source
    # exports' amounts are in it (sources.md); the snapshot records it and the page shows it.
    currency: str = "USD"
    # The engine that loads and builds (README "Scaling out"): duckdb, or spark with its tables,
    # Derby metastore and logs under spark_dir (default: `spark/` beside the warehouse).
    engine: str = "duckdb"
    spark_dir: Path | None = None
    spark_driver_memory: str = "2g"
    # The dbt project to build: the bundled one, or a fork of it. The Dagster definitions are
    # made from its manifest, so it is read when the definitions are built.
    dbt_project_dir: Path = BUNDLED_DBT_PROJECT_DIR

    def __post_init__(self) -> None:
        if self.snapshot_path is None:
            object.__setattr__(self, "snapshot_path",
                               Path(self.warehouse_path).parent / "marts_snapshot.duckdb")
        if self.spark_dir is None:
            object.__setattr__(self, "spark_dir", Path(self.warehouse_path).parent / "spark")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Validated settings from `env` (default: this process's environment)."""
        env = dict(os.environ if env is None else env)
        as_of = env.get("CDP_AS_OF") or None
        try:
            as_of_date = date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise SettingsError(f"CDP_AS_OF={as_of!r} is not a date (YYYY-MM-DD)") from exc
        threads = env.get("CDP_DUCKDB_THREADS") or None
        max_rate = env.get("CDP_MAX_REJECTED_RATE") or "0.01"
        try:
            max_rejected_rate = float(max_rate)
        except ValueError:
            max_rejected_rate = -1.0
        if not 0 <= max_rejected_rate <= 1:
            raise SettingsError(f"CDP_MAX_REJECTED_RATE={max_rate!r} is not a fraction "
                                "between 0 and 1 (e.g. 0.01 for 1 %)")
        source_tz = env.get("CDP_SOURCE_TIMEZONE") or None
        optional = tuple(n.strip() for n in (env.get("CDP_OPTIONAL_SOURCES") or "").split(",")
                         if n.strip())
        unknown = [n for n in optional if n not in SOURCE_NAMES]
        if unknown:
            raise SettingsError(f"CDP_OPTIONAL_SOURCES names {', '.join(unknown)}, not a source "
                                f"(the sources: {', '.join(SOURCE_NAMES)})")
        return cls(
            landing_dir=_path(env.get("CDP_LANDING_DIR") or "data/landing"),
            warehouse_path=_path(env.get("CDP_WAREHOUSE_PATH") or "data/warehouse.duckdb"),
            timezone=_zone("CDP_TIMEZONE", env.get("CDP_TIMEZONE") or "UTC"),
            source_timezone=_zone("CDP_SOURCE_TIMEZONE", source_tz) if source_tz else None,
            as_of=as_of_date,
            duckdb_memory_limit=env.get("CDP_DUCKDB_MEMORY_LIMIT") or "4GB",
            duckdb_threads=int(threads) if threads else None,
            schedule_hour=_hour(env.get("CDP_SCHEDULE_HOUR") or "6"),
            mart_freshness_hours=_hours(env.get("CDP_MART_FRESHNESS_HOURS") or "26"),
            failure_webhook_url=env.get("CDP_FAILURE_WEBHOOK_URL") or None,
            max_rejected_rate=max_rejected_rate,
            optional_sources=optional,
            reload_rejected=_flag("CDP_RELOAD_REJECTED",
                                  env.get("CDP_RELOAD_REJECTED") or "false"),
            run_wait_seconds=_seconds(env.get("CDP_RUN_WAIT_SECONDS") or "0"),
            snapshot_path=_path(env["CDP_SNAPSHOT_PATH"]) if env.get("CDP_SNAPSHOT_PATH") else None,
            show_personal_data=_flag("CDP_SHOW_PERSONAL_DATA",
                                     env.get("CDP_SHOW_PERSONAL_DATA") or "false"),
            app_password=env.get("CDP_APP_PASSWORD") or None,
            currency=_currency(env.get("CDP_CURRENCY") or "USD"),
            engine=_engine(env.get("CDP_ENGINE") or "duckdb"),
            spark_dir=_path(env["CDP_SPARK_DIR"]) if env.get("CDP_SPARK_DIR") else None,
            spark_driver_memory=_memory(env.get("CDP_SPARK_DRIVER_MEMORY") or "2g"),
            dbt_project_dir=_path(env.get("CDP_DBT_PROJECT_DIR") or "dbt"),
        )

    @property
    def quality_dir(self) -> Path:
        """Great Expectations results and data docs: beside the warehouse."""
        return self.warehouse_path.parent / "quality"

    def dbt_env(self) -> dict[str, str]:
        """The settings dbt reads (profiles.yml, dbt_project.yml), with absolute paths: the
        variables added to the dbt process's environment (transform/project.py dbt_environment),
        never to this process's."""
        env = {
            "CDP_LANDING_DIR": str(self.landing_dir),
            "CDP_WAREHOUSE_PATH": str(self.warehouse_path),
            "CDP_TIMEZONE": self.timezone,
            "CDP_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "CDP_AS_OF": self.as_of.isoformat() if self.as_of else "",
        }
        if self.source_timezone:
            env["CDP_SOURCE_TIMEZONE"] = self.source_timezone
        from dagster_project.engines import get_engine  # engines import this module

        env.update(get_engine(self).dbt_env(self))  # what the engine's dbt target reads
        return env


def variables_set(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings' variables that are set (non-empty) in `env` (default: this process's
    environment)."""
    env = os.environ if env is None else env
    return {name: env[name] for name in VARIABLES if env.get(name)}


def get_settings() -> Settings:
    """The settings of this process's environment: for the `cdp` command and the page. Dagster
    code gets them from its `settings` resource instead (settings_resource.py)."""
    return Settings.from_env()
