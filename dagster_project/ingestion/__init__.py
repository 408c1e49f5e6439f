"""Loaders from the landing zone into the `raw` schema (no Dagster import here: kept light)."""

from dagster_project.ingestion.crm import CONTACTS, ORDERS, TICKETS
from dagster_project.ingestion.survey import RESPONSES
from dagster_project.ingestion.web_analytics import EVENTS

SOURCES = {s.name: s for s in (CONTACTS, ORDERS, TICKETS, EVENTS, RESPONSES)}
