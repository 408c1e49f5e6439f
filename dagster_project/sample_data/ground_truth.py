"""The ground truth under `_ground_truth/`, derived from the rows actually written (loaders never
read it):

- `identities.csv`: person_id, identifier_type, identifier_value (normalized as marts.md says),
  note. `note` is '' for an identifier the identity rules must attach to its person (it belongs in
  `marts.customer_identities`); any other note marks one they must not attach: `placeholder` and
  `shared_email` (blocked values), `shared_device` (a kiosk anonymous_id), `anonymous_only` (a
  visitor who never logged in nor identified: not a customer; person_id `V...`), `rejected_row`
  (the response_id of a quarantined survey row).
- `comments.csv`: the planted language, sentiment and topics of every survey comment.
- `manifest.json`: what a loader must read, reject and keep per source, and a count of each kind
  of dirt.

Writing identities also checks that no identifier marked '' belongs to two people.
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.sample_data.anonymous_ids import ANONYMOUS_ONLY, KIOSK, PERSON_DEVICE
from dagster_project.sample_data.common import DAY, Window
from dagster_project.sample_data.contacts import BLOCKED_VALUES
from dagster_project.sample_data.events import BLANK, LINE_FAULTS, MALFORMED, OK
from dagster_project.sample_data.people import FILLED_LATER, OFFICE
from dagster_project.sample_data.survey import SURVEY_FAULTS
from dagster_project.sample_data.writers import copy_csv, sql_tuple


def write_identities(con, path: Path) -> int:
    """identities.csv from the rows actually written (see the module docstring for `note`)."""
    con.execute(f"""CREATE TABLE identities AS
    WITH latest AS (
      SELECT * FROM contacts_out WHERE bad = 0
      QUALIFY row_number() OVER (PARTITION BY contact ORDER BY updated_at_us DESC, rid DESC) = 1
    ), carried AS (
      SELECT 'email' AS t, norm_email(email) AS v, count(DISTINCT contact) AS n FROM latest
      WHERE email IS NOT NULL GROUP BY 2
      UNION ALL
      SELECT 'phone', norm_phone(phone), count(DISTINCT contact) FROM latest
      WHERE phone IS NOT NULL GROUP BY 2
    ), raw_ids AS (
      SELECT person_id(person) AS person_id, 'contact_id' AS t, contact_id AS v, '' AS note
        FROM contacts_out WHERE bad = 0
      UNION ALL SELECT person_id(person), 'email', norm_email(email), NULL FROM latest
        WHERE email IS NOT NULL
      UNION ALL SELECT person_id(person), 'phone', norm_phone(phone), NULL FROM latest
        WHERE phone IS NOT NULL
      UNION ALL SELECT person_id(person), 'response_id', response_id,
        CASE WHEN fault >= 0 THEN 'rejected_row' ELSE '' END FROM responses_out
      UNION ALL SELECT person_id(person), 'email', norm_email(respondent_email), NULL
        FROM responses_out WHERE fault < 0 AND respondent_email IS NOT NULL
      UNION ALL SELECT person_id(person), 'anonymous_id', anon_id(anon), '' FROM anons
        WHERE role = {PERSON_DEVICE}
      UNION ALL SELECT visitor_id(anon), 'anonymous_id', anon_id(anon), 'anonymous_only'
        FROM anons WHERE role = {ANONYMOUS_ONLY}
      UNION ALL SELECT person_id(s.user_person), 'anonymous_id', anon_id(s.anon), 'shared_device'
        FROM sessions s JOIN anons a ON a.anon = s.anon
        WHERE a.role = {KIOSK} AND s.user_person >= 0
      UNION ALL SELECT person_id(s.email_person), 'email', norm_email(p.email), NULL
        FROM sessions s JOIN people p ON p.person = s.email_person
    )
    SELECT DISTINCT r.person_id, r.t AS identifier_type, r.v AS identifier_value,
      coalesce(r.note, CASE WHEN r.v IN {sql_tuple(BLOCKED_VALUES)}
                            THEN 'placeholder'
                            WHEN c.n > 3 THEN 'shared_' || r.t ELSE '' END) AS note
    FROM raw_ids r LEFT JOIN carried c ON c.t = r.t AND c.v = r.v""")
    clash = con.execute("""SELECT identifier_type, identifier_value FROM identities
        WHERE note = '' GROUP BY ALL HAVING count(DISTINCT person_id) > 1 LIMIT 1""").fetchall()
    if clash:
        raise RuntimeError(f"generator bug: {clash[0]} belongs to two people")
    copy_csv(con, "SELECT person_id, identifier_type, identifier_value, "
                   "nullif(note, '') AS note FROM identities "
                   "ORDER BY person_id, identifier_type, identifier_value, note", path)
    return con.execute("SELECT count(*) FROM identities").fetchone()[0]


def write_comments(con, path: Path) -> None:
    """comments.csv: response_id, language, sentiment, topics (", "-joined in the taxonomy's
    order) and has_contact (the comment carries a phone number or an email, which the marts
    must show redacted) of every accepted response with a comment, as comments.py planted them."""
    copy_csv(con, "SELECT DISTINCT response_id, comment_language AS language, "
                         "comment_sentiment AS sentiment, comment_topics AS topics, "
                         "regexp_matches(comment, '@|\\d{3}[ .-]?\\d{3}[ .-]?\\d{3}') "
                         "AS has_contact FROM responses_out "
                         "WHERE fault < 0 AND comment IS NOT NULL ORDER BY response_id", path)


def _count(con, sql: str) -> int:
    return int(con.execute(sql).fetchone()[0])


def build_manifest(con, out: Path, files: dict[str, list[str]], seed, customers, win: Window,
              events_per_customer: float) -> dict:
    """Exact counts of what was written: rows, rows a loader must reject, keys staging keeps."""
    def csv_source(table, key, invalid):
        return {"rows_written": _count(con, f"SELECT count(*) FROM {table}"),
                "invalid_rows": _count(con, f"SELECT count(*) FROM {table} WHERE {invalid}"),
                "distinct_keys": _count(con, f"SELECT count(DISTINCT {key}) FROM {table} "
                                             f"WHERE NOT ({invalid})")}

    sources = {
        "crm_contacts": csv_source("contacts_out", "contact_id", "bad > 0"),
        "crm_orders": csv_source("orders_out", "order_id", "bad > 0"),
        "crm_tickets": csv_source("tickets_out", "ticket_id", "bad > 0"),
        "web_events": {
            "rows_written": _count(con, f"SELECT count(*) FROM ev WHERE bad <> {BLANK}"),
            "invalid_rows": _count(con, "SELECT count(*) FROM ev "
                                        f"WHERE bad NOT IN ({OK}, {BLANK})"),
            "distinct_keys": _count(con, f"SELECT count(DISTINCT seq) FROM ev WHERE bad = {OK}"),
        },
        "survey_responses": csv_source("responses_out", "response_id", "fault >= 0"),
    }
    web = sources["web_events"]
    web["duplicate_rows"] = _count(con, f"SELECT count(*) FROM ev WHERE bad = {OK}") \
        - web["distinct_keys"]
    for name, paths in files.items():
        sources[name]["files"] = len(paths)
        sources[name]["paths"] = paths
    dirt = _dirt(con, files, win)
    dirt["bom_files"] = sum(_starts_with_bom(out / p) for name, paths in files.items()
                            if name != "web_events" for p in paths)
    return {"seed": seed, "customers": customers, "start": win.start.isoformat(),
            "days": win.days, "events_per_customer": events_per_customer,
            "sources": sources, "dirt": dirt}


def _starts_with_bom(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(3) == b"\xef\xbb\xbf"


def _dirt(con, files: dict[str, list[str]], win: Window) -> dict[str, int]:
    """How many of each kind of dirt the zone holds (all counted from the written rows)."""
    counts = {
        "duplicate_contact_people": "SELECT count(*) FROM people WHERE dup",
        "contacts_reexported_later": "SELECT count(*) FROM contacts_out c JOIN contact_rows r "
                                     "USING (rid) WHERE r.version = 1",
        "placeholder_email_rows": "SELECT count(*) FROM contacts_out WHERE email IS NOT NULL AND "
                                  f"norm_email(email) IN {sql_tuple(BLOCKED_VALUES)}",
        "empty_email_rows": "SELECT count(*) FROM contacts_out WHERE email IS NULL",
        "emails_with_case_or_spaces": "SELECT count(*) FROM contacts_out "
                                      "WHERE email <> norm_email(email)",
        "shared_office_emails": "SELECT count(DISTINCT office_group) FROM people "
                                f"WHERE kind = {OFFICE}",
        "shared_office_email_contacts": f"SELECT count(*) FROM people WHERE kind = {OFFICE}",
        "emails_filled_in_later": f"SELECT count(*) FROM people WHERE kind = {FILLED_LATER}",
        "contacts_without_contact_id": "SELECT count(*) FROM contacts_out WHERE bad = 1",
        "contacts_impossible_updated_at": "SELECT count(*) FROM contacts_out WHERE bad = 2",
        "contact_referrals": "SELECT count(*) FROM contacts_out "
                             "WHERE referred_by_contact_id IS NOT NULL",
        "order_status_changes": "SELECT count(*) FROM orders_out d JOIN orders_out f USING "
                                "(order_id) WHERE d.export = 2 AND f.export = 1 "
                                "AND d.status <> f.status",
        "orders_negative_amount": "SELECT count(*) FROM orders_out WHERE bad = 1",
        "orders_missing_ordered_at": "SELECT count(*) FROM orders_out WHERE bad = 2",
        "tickets_updated_later": "SELECT count(*) FROM (SELECT ticket_id FROM tickets_out "
                                 "WHERE bad = 0 GROUP BY 1 HAVING count(*) > 1)",
        "tickets_unknown_caller": "SELECT count(*) FROM tickets_out WHERE contact_id IS NULL",
        "tickets_missing_opened_at": "SELECT count(*) FROM tickets_out WHERE bad = 1",
        "shared_devices": f"SELECT count(*) FROM anons WHERE role = {KIOSK}",
        "anonymous_only_visitors": f"SELECT count(*) FROM anons WHERE role = {ANONYMOUS_ONLY}",
        "duplicate_events": f"SELECT count(*) FROM ev WHERE bad = {OK} AND copy = 1",
        "late_events": f"SELECT count(*) FROM ev WHERE bad = {OK} "
                       f"AND file_day > (ts_us - {win.start_us}) // {DAY}",
        "survey_reexported_rows": "SELECT count(*) - count(DISTINCT response_id) "
                                  "FROM responses_out",
        "survey_multiline_comments": "SELECT count(*) FROM responses_out "
                                     "WHERE comment LIKE '%' || chr(10) || '%'",
        "unicode_names": "SELECT count(*) FROM contacts_out WHERE NOT regexp_matches("
                         "coalesce(first_name, '') || coalesce(last_name, ''), '^[ -~]*$')",
    }
    dirt = {name: _count(con, sql) for name, sql in counts.items()}
    for bad in range(MALFORMED, BLANK + 1):
        dirt[LINE_FAULTS[bad]] = _count(con, f"SELECT count(*) FROM ev WHERE bad = {bad}")
    for i, (column, value) in enumerate(SURVEY_FAULTS):
        label = f"survey_{column}_{'missing' if value is None else value}"
        dirt[label] = _count(con, f"SELECT count(*) FROM responses_out WHERE fault = {i}")
    dirt["gz_files"] = sum(p.endswith(".gz") for p in files["web_events"])
    return dirt
