"""Identity rules of marts.md at their edges, on a hand-made landing zone and the real pipeline
(run in process: the rules are the subject, not the `cdp` command)."""

import pytest
from conftest import query, run_in_process, write

from dagster_project.settings import Settings

pytestmark = pytest.mark.slow  # the whole pipeline, in process

CONTACTS = ("contact_id,email,created_at,updated_at\n"
            "C-1,lan@example.com,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n")


def page(message_id: str, anonymous_id: str, at: str, user_id: str) -> str:
    return (f'{{"message_id": "{message_id}", "type": "page", "anonymous_id": "{anonymous_id}", '
            f'"user_id": "{user_id}", "timestamp": "{at}"}}')


def test_a_user_id_on_a_placeholder_device_is_a_node_unless_the_device_is_shared(tmp_path):
    """marts.md: "any contact_id referenced anywhere (... a web user_id on a device that is not
    shared) is a node". The placeholder anonymous_id `unknown` carried one user_id, C-9, found
    nowhere else: C-9 is a customer of its own, with its events, and `unknown` links nothing.
    The placeholder `null` carried two user_ids: a shared device, so neither is a node."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(landing, "crm/contacts/contacts.csv", CONTACTS)
    write(landing, "web/events/dt=2025-03-01/events.jsonl", "\n".join([
        page("m-1", "unknown", "2025-03-01T10:00:00Z", "C-9"),
        page("m-2", "unknown", "2025-03-01T10:05:00Z", "C-9"),
        page("m-3", "null", "2025-03-01T11:00:00Z", "C-7"),
        page("m-4", "null", "2025-03-01T11:01:00Z", "C-8")]) + "\n")
    assert run_in_process(landing, warehouse).success
    settings = Settings(landing_dir=landing, warehouse_path=warehouse)

    assert query(settings, "select identifier_type, identifier_value, linked_by "
                           "from marts.customer_identities order by 2") == [
        ("contact_id", "C-1", "contact"), ("contact_id", "C-9", "web_login"),
        ("email", "lan@example.com", "contact_email")]
    assert query(settings, "select primary_contact_id, web_events, web_sessions "
                           "from marts.customer_360 order by 1") == [("C-1", 0, 0), ("C-9", 2, 1)]
