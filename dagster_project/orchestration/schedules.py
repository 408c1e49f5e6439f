"""The daily schedule: `cdp_daily` at CDP_SCHEDULE_HOUR o'clock in the reporting time zone.

Built with the definitions (definitions.py), from the settings of that moment: a changed hour or
zone takes effect when the code location is reloaded.
"""

import dagster as dg

from dagster_project.orchestration.jobs import daily_job
from dagster_project.settings import Settings

DAILY_SCHEDULE = "cdp_daily_schedule"


def build_daily_schedule(settings: Settings) -> dg.ScheduleDefinition:
    # Stopped until an operator starts it (UI or `dagster schedule start`): a fresh checkout
    # or a test instance never launches runs on its own. The choice persists in DAGSTER_HOME.
    return dg.ScheduleDefinition(
        name=DAILY_SCHEDULE,
        job=daily_job,
        cron_schedule=f"0 {settings.schedule_hour} * * *",
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"The full pipeline every day at {settings.schedule_hour:02d}:00 "
                    f"{settings.timezone} (CDP_SCHEDULE_HOUR, CDP_TIMEZONE).",
    )

