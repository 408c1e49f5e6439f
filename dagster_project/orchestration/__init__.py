"""Jobs, schedules, sensors, retries and failure records: how the assets are run in production."""
