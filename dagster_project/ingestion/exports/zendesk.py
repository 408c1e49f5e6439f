"""Zendesk tickets -> crm_tickets (docs/exports.md, "Zendesk"): the incremental export API's
saved pages (JSON) and the Admin Center's CSV export.

**JSON.** A saved page of `GET /api/v2/incremental/tickets.json` (time-based: `next_page`) or
`.../tickets/cursor.json` (cursor-based: `after_cursor`, no `next_page`), both with
`end_of_stream`, pretty or compact, one page a file or one page a line; also a List Tickets
page (`next_page`, `previous_page`) and JSON lines of ticket objects. `rows_sql` turns each page
into its tickets, in page order, each merged with what the page's side-loads say of it:
`_metric_set` (the `metric_sets` element whose `ticket_id` is the ticket's id, or the ticket's
own embedded `metric_set`) and `_requester` (the `users` element whose id is the ticket's
`requester_id`; agents are in the same list, so the match is on the id, not the role). The
lookups are list functions within one page (`list_position` over the page's ids), not joins, so
the tickets keep their order and their row numbers.

**CSV.** The Admin Center export (`Id`, `Requester email`, `Via`, `Created at`, ..., `First
reply time in minutes`...): one row a ticket, its metrics as columns, its times offset-less in
the account's zone (`timezone:` in cdp_format.yml, else CDP_SOURCE_TIMEZONE), `Via` as a label
(`Web Form`, `Phone call (inbound)`).

The choices, the same for both:
- contact_id: the requester's email as `email:<address>` (`contact_by_email_sql`; the identity
  graph links it to the contact of that email), else the requester's external_id (the id an
  integration sets from another system, usually the CRM's), else NULL (the contract allows an
  unknown caller). The email first: the identity graph links it by the rules of every email,
  while an external_id may be another system's id (`columns: {contact_id:
  $._requester.external_id}` links by it instead). A page without the `users` side-load has
  no email: export with `include=users`, else tickets carry no contact.
- channel: `via.channel` (a via type, or a via id number) -> phone / email / chat / social, and
  `web` for web forms and widgets; anything else (`api`, `rule`, `closed_ticket`, an unknown id)
  kept as written, never rejected.
- first_response_at: created_at + the metric set's `reply_time_in_seconds.calendar` (else
  `reply_time_in_minutes.calendar` minutes); resolved_at: the metric set's `solved_at` (else
  created_at + `full_resolution_time_in_minutes.calendar`) while the ticket is solved or closed,
  NULL for a ticket reopened since; touches_to_resolve: the metric set's `replies` (public
  agent replies) of a resolved ticket, NULL while it is unresolved. Without a metric set
  (or with `{"calendar": null}`) these three stay NULL.
- a ticket with status `deleted` is rejected, with a reason saying so: Zendesk's own reports
  leave deleted tickets out (export with `exclude_deleted=true` to leave them out of the file).
- the same ticket on two overlapping pages loads twice; staging keeps the latest updated_at.
"""

from dagster_project.ingestion.exports.base import (
    ExportFormat,
    Fields,
    contact_by_email_sql,
    first_of,
    map_values,
)
from dagster_project.ingestion.rules import timestamp_sql

# Via ids (a number in `via.channel`) -> via types, from Zendesk's via types reference; an id
# not listed is kept as its number.
VIA_IDS = {
    "0": "web_form", "4": "mail", "5": "web_service", "8": "rule", "9": "linked_problem",
    "17": "dropbox", "19": "merge", "20": "batch", "23": "twitter_favorite", "24": "topic",
    "26": "twitter_dm", "27": "closed_ticket", "29": "chat", "30": "twitter",
    "31": "ticket_sharing", "33": "voicemail", "34": "phone_call_inbound",
    "35": "phone_call_outbound", "37": "text_message", "38": "facebook_post",
    "41": "facebook_message",
}

# Via types (API) and the CSV export's Via labels -> the contract's channels. `web` is not in
# the contract's list (phone, email, chat, social, store) but is what a web form is; `api`
# (web_service) and the other system channels are kept as written.
CHANNELS = {
    "voice": "phone", "voicemail": "phone", "phone_call_inbound": "phone",
    "phone_call_outbound": "phone", "api_voicemail": "phone", "api_phone_call_inbound": "phone",
    "api_phone_call_outbound": "phone", "phone call (inbound)": "phone",
    "phone call (outbound)": "phone", "phone call (incoming)": "phone",
    "email": "email", "mail": "email",
    "web": "web", "web_form": "web", "web form": "web", "web_widget": "web",
    "web widget": "web", "dropbox": "web", "feedback tab": "web",
    "chat": "chat", "native_messaging": "chat", "chat_transcript": "chat", "messaging": "chat",
    "twitter": "social", "twitter_dm": "social", "twitter_favorite": "social",
    "facebook": "social", "facebook_post": "social", "facebook_message": "social",
    "instagram_dm": "social", "x": "social", "x dm": "social", "twitter dm": "social",
    "facebook post": "social", "facebook message": "social",
    "web_service": "api", "web service": "api",
}


def channel_sql(via: str) -> str:
    """SQL: the contract channel of a via type, via id or via label (kept when unknown)."""
    return map_values(map_values(via, VIA_IDS), CHANNELS)


def _text(value: str) -> str:
    return f"nullif(trim({value}), '')"


def plus_seconds_sql(f: Fields, start: str, seconds: str) -> str:
    """SQL text: the time `start` (text) plus `seconds` (text, a number), as ISO 8601 in UTC;
    NULL when either is empty. An offset-less `start` is read in the files' zone first (so the
    sum is right across a change of summer time); without a zone the sum stays offset-less and
    the contract's rule rejects it, as it rejects `start` itself. A `seconds` that is not a
    number is passed on as it is, to be rejected as no time (never dropped silently)."""
    start, seconds = _text(start), _text(seconds)
    amount = f"to_microseconds(cast(round(try_cast({seconds} as double) * 1e6) as bigint))"
    instant = timestamp_sql(start, f.timezone)  # NULL: offset-less, and no zone known
    wall = f"try_cast({start} as timestamp)"
    return (f"case when {start} is null or {seconds} is null then null "
            f"when try_cast({seconds} as double) is null then {seconds} "
            f"else coalesce(strftime({instant} + {amount}, '%Y-%m-%dT%H:%M:%S.%fZ'), "
            f"strftime({wall} + {amount}, '%Y-%m-%d %H:%M:%S.%f')) end")


def minutes_as_seconds_sql(minutes: str) -> str:
    """SQL text: `minutes` (text) in seconds; a value that is not a number as it is."""
    return f"coalesce((try_cast({_text(minutes)} as double) * 60)::varchar, {minutes})"


def _resolved_sql(f: Fields, status: str, solved_at: str, created_at: str,
                  full_resolution_minutes: str) -> str:
    """SQL text: when a solved or closed ticket was solved (NULL while it is not)."""
    solved = f"lower(trim({status})) in ('solved', 'closed')"
    fallback = plus_seconds_sql(f, created_at, minutes_as_seconds_sql(full_resolution_minutes))
    return (f"case when {solved} or {_text(status)} is null "
            f"then coalesce({_text(solved_at)}, {fallback}) end")


def _contact_sql(email: str, external_id: str) -> str:
    return f"coalesce({contact_by_email_sql(email)}, {_text(external_id)})"


def _deleted_reason(status: str) -> str:
    return (f"case when lower(trim({status})) = 'deleted' then "
            "'status ''deleted'': the ticket was deleted in Zendesk; deleted tickets are not "
            "loaded, as Zendesk''s own reports leave them out (export with "
            "exclude_deleted=true to leave them out of the file)' end")


# --- JSON: incremental export pages -----------------------------------------------------------

METRIC = "$._metric_set"


def _json_first_response(f: Fields) -> str:
    seconds = (f"coalesce({f(METRIC + '.reply_time_in_seconds.calendar')}, "
               f"{minutes_as_seconds_sql(f(METRIC + '.reply_time_in_minutes.calendar'))})")
    return plus_seconds_sql(f, f("$.created_at"), seconds)


def _json_resolved(f: Fields) -> str:
    return _resolved_sql(f, f("$.status"), f(METRIC + ".solved_at"), f("$.created_at"),
                         f(METRIC + ".full_resolution_time_in_minutes.calendar"))


def _json_touches(f: Fields) -> str:
    return f"case when {_json_resolved(f)} is not null then {f(METRIC + '.replies')} end"


def pages_to_tickets_sql(lines_sql: str) -> str:
    """SQL (`__cdp_f`, `line`): the tickets of each page line, in order, each with its metric
    set and requester merged in as `_metric_set` and `_requester`; a line without a `tickets`
    list (a ticket of JSON lines, or no JSON at all) is one record, as it is (its embedded
    `metric_set`, if any, as `_metric_set`)."""
    def ids(list_name: str, key: str) -> str:
        return (f"list_transform({list_name}, lambda x: json_extract_string(x, '$.{key}'))")

    merged = """
        case when try(json_type(t)) = 'OBJECT' then json_merge_patch(t, json_object(
            '_metric_set', coalesce(
                case when json_type(t, '$.metric_set') = 'OBJECT'
                     then json_extract(t, '$.metric_set') end,
                metric_sets[list_position(metric_set_ids, json_extract_string(t, '$.id'))]),
            '_requester',
                users[list_position(user_ids, json_extract_string(t, '$.requester_id'))]))::varchar
             else t end"""
    return f"""
        select __cdp_f, unnest(list_transform(tickets, lambda t: {merged})) as line
        from (select __cdp_f, tickets, metric_sets, users,
                     {ids('metric_sets', 'ticket_id')} as metric_set_ids,
                     {ids('users', 'id')} as user_ids
              from (select __cdp_f,
                           case when try(json_type(line, '$.tickets')) = 'ARRAY'
                                then json_extract(line, '$.tickets[*]')::varchar[]
                                else [line] end as tickets,
                           case when try(json_type(line, '$.metric_sets')) = 'ARRAY'
                                then json_extract(line, '$.metric_sets[*]') end as metric_sets,
                           case when try(json_type(line, '$.users')) = 'ARRAY'
                                then json_extract(line, '$.users[*]') end as users
                    from ({lines_sql})))"""


INCREMENTAL = ExportFormat(
    name="zendesk",
    title="Zendesk tickets, incremental export API pages (JSON)",
    source="crm_tickets",
    kind="json",
    signatures=(("tickets", "end_of_stream"), ("tickets", "next_page"),
                ("tickets", "after_cursor"),
                ("id", "requester_id", "via.channel", "created_at")),
    columns={
        "ticket_id": "$.id",
        "contact_id": lambda f: _contact_sql(f("$._requester.email"),
                                             f("$._requester.external_id")),
        "channel": lambda f: channel_sql(f("$.via.channel")),
        "opened_at": "$.created_at",
        "first_response_at": _json_first_response,
        "resolved_at": _json_resolved,
        "touches_to_resolve": _json_touches,
        "updated_at": "$.updated_at",
    },
    rows_sql=pages_to_tickets_sql,
    row_reasons=lambda f: [_deleted_reason(f("$.status"))],
    notes="Side-loads: export with include=metric_sets,users; without them first response, "
          "resolution and touches stay NULL and contact_id is the requester's external_id or "
          "NULL.",
)


# --- CSV: the Admin Center export -------------------------------------------------------------

def _csv_first_response(f: Fields) -> str:
    return plus_seconds_sql(f, f("Created at"),
                            minutes_as_seconds_sql(f("First reply time in minutes")))


def _csv_resolved(f: Fields) -> str:
    return _resolved_sql(f, f("Status"), f("Solved at"), f("Created at"),
                         f("Full resolution time in minutes"))


CSV_EXPORT = ExportFormat(
    name="zendesk_csv",
    title="Zendesk tickets, Admin Center CSV export",
    source="crm_tickets",
    kind="csv",
    signatures=(("Id", "Created at", "Updated at", "First reply time in minutes"),),
    columns={
        "ticket_id": first_of("Id"),
        "contact_id": lambda f: _contact_sql(f("Requester email"), f("Requester external id")),
        "channel": lambda f: channel_sql(f("Via")),
        "opened_at": first_of("Created at"),
        "first_response_at": _csv_first_response,
        "resolved_at": _csv_resolved,
        "touches_to_resolve": lambda f: (f"case when {_csv_resolved(f)} is not null "
                                         f"then {f('Replies')} end"),
        "updated_at": first_of("Updated at"),
    },
    row_reasons=lambda f: [_deleted_reason(f("Status"))],
    notes="Times are offset-less in the account's zone: give it as timezone: in "
          "cdp_format.yml.",
)

FORMATS = (INCREMENTAL, CSV_EXPORT)
