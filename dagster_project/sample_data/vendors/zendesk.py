"""Zendesk tickets (crm/tickets/zendesk/): saved pages of the time-based incremental export,
`GET /api/v2/incremental/tickets.json?start_time=...&include=metric_sets,users`.

One JSON document per page (`tickets_YYYY-MM-DD_NNN.json`, up to 1000 tickets, by updated_at):
`{"tickets": [...], "next_page", "count", "end_of_stream", "end_time", "metric_sets": [...],
"users": [...]}`. The first export is the stream from the start of the window to the
contract's first export date; the second starts where it ended (its start_time), so it holds
the tickets updated since, as the contract's second export does.

How the contract facts are written:
- ticket_id: `id`, an integer (T1000001 -> 1000001; so are the ticket_ref of the Qualtrics
  sample when both formats are chosen);
- contact_id: `requester_id` -> the `users` side-load: `email` (the contact's latest email,
  normalized, when it is not a placeholder) and `external_id` = the CRM contact id (a
  CRM-synced Zendesk, as HubSpot's integration sets it); an unknown caller is a requester
  without email or external_id;
- channel: `via.channel`: phone -> voice, email -> email, chat -> chat (native_messaging for
  every other chat), social -> facebook, store -> web (an agent typed it in);
- opened_at / updated_at: `created_at` / `updated_at` (ISO, seconds, Z);
- first_response_at: created_at + metric set `reply_time_in_seconds.calendar`
  (`reply_time_in_minutes` rounded); resolved_at: metric set `solved_at`
  (`full_resolution_time_in_minutes` rounded); touches_to_resolve: metric set `replies` of a
  solved ticket (an open one has replies 0 or 1 so far: the contract leaves it empty).

Facts of the contract sample this format cannot carry:
- sub-second parts of every time (Zendesk writes seconds);
- channels social and store as the contract spells them: they arrive as facebook and web;
- contact_id by itself: only through the users side-load (email, external_id).
The contract's broken rows are carried: a ticket whose created_at is null.
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.sample_data.common import SECOND
from dagster_project.sample_data.vendors import create_contact_emails
from dagster_project.sample_data.writers import write_text

PAGE_SIZE = 1000
FOLDER = "crm/tickets/zendesk"
HOST = "https://shopexample.zendesk.com"
AGENT_ID = 900000000001
SUBJECTS = ("Đơn hàng chưa tới", "Đổi size giày", "Hoàn tiền", "App lỗi khi thanh toán",
            'Question about order "express"', "Bảo hành đồng hồ")
VIA = ("'voice'", "'email'", "CASE WHEN ticket % 2 = 0 THEN 'chat' ELSE 'native_messaging' END",
       "'facebook'", "'web'")  # by TICKET_CHANNELS


def _minutes(seconds: str) -> str:
    return f"CASE WHEN {seconds} IS NOT NULL THEN round({seconds} / 60)::BIGINT END"


def _ticket_sql(win) -> str:
    via = "CASE channel " + " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(VIA)) + " END"
    subjects = "[" + ", ".join("'" + s.replace("'", "''") + "'" for s in SUBJECTS) + "]"
    return f"""
    WITH rows AS (
      SELECT t.*, 1000001 + ticket AS id,
        CASE WHEN contact >= 0 THEN 360000000000 + contact ELSE 370000000000 + ticket END
          AS requester_id,
        CASE WHEN opened_at_us >= 0 THEN opened_at_us - opened_at_us % {SECOND} END
          AS created_s,
        CASE WHEN first_response_at_us >= 0
             THEN first_response_at_us - first_response_at_us % {SECOND} END
          AS first_s,
        CASE WHEN resolved_at_us >= 0 THEN resolved_at_us - resolved_at_us % {SECOND} END
          AS solved_s,
        CASE WHEN updated_at_us >= 0 THEN updated_at_us - updated_at_us % {SECOND} END
          AS updated_s,
        {via} AS via_channel, {subjects}[ticket % {len(SUBJECTS)} + 1] AS subject
      FROM ticket_rows t
    ), numbered AS (
      SELECT *, (row_number() OVER (PARTITION BY export ORDER BY updated_s, id) - 1)
        // {PAGE_SIZE} AS page FROM rows
    )
    SELECT *,
      CASE WHEN first_s IS NOT NULL THEN (first_s - created_s) // {SECOND} END
        AS reply_s,
      CASE WHEN solved_s IS NOT NULL THEN (solved_s - created_s) // {SECOND} END
        AS resolution_s
    FROM numbered"""


def write(con, out: Path, win, ctx) -> tuple[list[str], dict]:
    create_contact_emails(con)
    con.execute(f"CREATE OR REPLACE TABLE zendesk_rows AS {_ticket_sql(win)}")
    calendar = "{{'calendar': {m}, 'business': {m}}}"
    reply_min, full_min = _minutes("reply_s"), _minutes("resolution_s")
    ticket = f"""{{
        'url': '{HOST}/api/v2/tickets/' || id || '.json', 'id': id,
        'external_id': NULL::VARCHAR,
        'via': {{'channel': via_channel, 'source': {{'from': '{{}}'::JSON,
                 'to': '{{}}'::JSON, 'rel': NULL::VARCHAR}}}},
        'created_at': iso_s(created_s), 'updated_at': iso_s(updated_s),
        'generated_timestamp': updated_s // {SECOND},
        'type': 'question', 'subject': subject, 'raw_subject': subject,
        'description': subject, 'priority': 'normal',
        'status': CASE WHEN solved_s IS NOT NULL THEN 'solved'
                       WHEN first_s IS NOT NULL THEN 'open'
                       ELSE 'new' END,
        'recipient': NULL::VARCHAR, 'requester_id': requester_id,
        'submitter_id': requester_id, 'assignee_id': {AGENT_ID}::BIGINT,
        'organization_id': NULL::BIGINT, 'group_id': 360001234567::BIGINT,
        'collaborator_ids': []::BIGINT[], 'follower_ids': []::BIGINT[],
        'email_cc_ids': []::BIGINT[], 'forum_topic_id': NULL::BIGINT,
        'problem_id': NULL::BIGINT, 'has_incidents': false, 'is_public': true,
        'due_at': NULL::VARCHAR, 'tags': []::VARCHAR[], 'custom_fields': []::VARCHAR[],
        'satisfaction_rating': NULL::VARCHAR, 'sharing_agreement_ids': []::BIGINT[],
        'ticket_form_id': 360000111222::BIGINT, 'brand_id': 360000333444::BIGINT,
        'allow_channelback': false, 'allow_attachments': true,
        'from_messaging_channel': via_channel = 'native_messaging'}}"""
    metric = f"""{{
        'url': '{HOST}/api/v2/ticket_metrics/' || (id + 7000000) || '.json',
        'id': id + 7000000, 'ticket_id': id,
        'created_at': iso_s(created_s), 'updated_at': iso_s(updated_s),
        'group_stations': 1, 'assignee_stations': 1, 'reopens': 0,
        'replies': CASE WHEN solved_s IS NOT NULL THEN touches
                       WHEN first_s IS NOT NULL THEN 1 ELSE 0 END,
        'assignee_updated_at': iso_s(first_s), 'requester_updated_at': iso_s(created_s),
        'status_updated_at': iso_s(updated_s), 'initially_assigned_at': iso_s(created_s),
        'assigned_at': iso_s(created_s), 'solved_at': iso_s(solved_s),
        'latest_comment_added_at': iso_s(greatest(first_s, solved_s)),
        'reply_time_in_minutes': {calendar.format(m=reply_min)},
        'reply_time_in_seconds': {{'calendar': reply_s}},
        'first_resolution_time_in_minutes': {calendar.format(m=full_min)},
        'full_resolution_time_in_minutes': {calendar.format(m=full_min)},
        'agent_wait_time_in_minutes': {calendar.format(m='0')},
        'requester_wait_time_in_minutes': {calendar.format(m=reply_min)},
        'on_hold_time_in_minutes': {calendar.format(m='0')}}}"""
    user = f"""{{
        'id': r.requester_id, 'url': '{HOST}/api/v2/users/' || r.requester_id || '.json',
        'name': coalesce(nullif(concat_ws(' ', c.first_name, c.last_name), ''),
                         'Caller ' || r.ticket), 'email': CASE WHEN c.usable OR c.shared
                         THEN c.email END,
        'phone': c.phone, 'role': 'end-user', 'external_id': c.contact_id,
        'time_zone': 'Asia/Ho_Chi_Minh', 'locale': 'vi'}}"""
    agent = f"""{{'id': {AGENT_ID}::BIGINT, 'url': '{HOST}/api/v2/users/{AGENT_ID}.json',
        'name': 'Agent Thảo', 'email': 'thao.agent@shop.example', 'phone': NULL::VARCHAR,
        'role': 'agent', 'external_id': NULL::VARCHAR, 'time_zone': 'Asia/Ho_Chi_Minh',
        'locale': 'vi'}}"""
    pages = con.execute(f"""
      WITH tickets AS (
        SELECT export, page, list({ticket} ORDER BY updated_s, id) AS tickets,
          list({metric} ORDER BY updated_s, id) AS metric_sets, count(*) AS n,
          max(updated_s) // {SECOND} AS end_time
        FROM zendesk_rows GROUP BY export, page
      ), users AS (
        SELECT export, page, list(u ORDER BY u.id) AS users FROM (
          SELECT DISTINCT r.export, r.page, {user} AS u FROM zendesk_rows r
          LEFT JOIN vendor_contacts c ON c.contact = r.contact)
        GROUP BY export, page
      )
      SELECT t.export, t.page, '{{"tickets":' || to_json(t.tickets) || ',"next_page":'
        || to_json('{HOST}/api/v2/incremental/tickets.json?start_time=' || t.end_time
                   || '&include=metric_sets%2Cusers')
        || ',"count":' || t.n || ',"end_of_stream":'
        || CASE WHEN t.page = max(t.page) OVER (PARTITION BY t.export) THEN 'true'
                ELSE 'false' END
        || ',"end_time":' || t.end_time || ',"metric_sets":' || to_json(t.metric_sets)
        || ',"users":' || to_json(list_prepend({agent}, u.users)) || '}}' AS document
      FROM tickets t JOIN users u USING (export, page) ORDER BY t.export, t.page""").fetchall()
    paths = []
    for export, page, document in pages:
        day = win.day(win.days // 2) if export == 1 else win.day(win.days - 1)
        path = f"{FOLDER}/tickets_{day}_{page + 1:03d}.json"
        write_text(out / path, document + "\n", zipped=False)
        paths.append(path)
    return paths, {"pages": len(paths)}
