"""RudderStack events (JSON) -> web_events (docs/exports.md, "RudderStack").

RudderStack writes Segment's call names (`messageId`, `anonymousId`, `userId`, `type`, `event`,
`context`, `properties`, `traits`, `timestamp`, `receivedAt`), so its calls fill the contract as
Segment's do (segment.CALL_COLUMNS), with two differences:

- the HTTP API's batch envelope `{"batch": [...], "sentAt": ..., "context": ...}`, one a line or
  one a file: each call of `batch` is a record, and the envelope's other keys are defaults for
  its calls (a call's own `context.page` wins over the envelope's; a key the call lacks is taken
  from the envelope), merged with `json_merge_patch`. A line without `batch` is one call.
- `channel` (required by RudderStack): `web` -> web, `mobile` -> app; `server` and `sources`
  (a cloud source) say nothing of the device, so the call's context decides as for Segment
  (`context.app` or an iOS / Android `context.os.name` -> app, else web).

Recognised by `rudderId` (RudderStack's own id, on every call it delivers) or `request_ip` next
to `messageId`, or by a `batch` envelope; a Segment call has neither, so the two never tie (the
longest signature wins). A Segment HTTP API batch body has the same envelope and is read here
alike.
"""

from dagster_project.ingestion.exports.base import ExportFormat, Fields
from dagster_project.ingestion.exports.segment import CALL_COLUMNS, segment_channel


def _channel(f: Fields) -> str:
    return (f"case lower(trim({f('$.channel')})) when 'web' then 'web' when 'mobile' then 'app' "
            f"else {segment_channel(f)} end")


def _calls(lines: str) -> str:
    """SQL: the calls of the lines, in order: a line with a `batch` list gives its calls, each
    patched over the envelope's other keys; any other line is one call, as it is."""
    return f"""
        select __cdp_f, case when envelope is null then call
                             else json_merge_patch(envelope, call)::varchar end as line
        from (select __cdp_f,
                     case when batched then json_merge_patch(line, '{{"batch": null}}') end
                         as envelope,
                     unnest(case when batched then json_extract(line, '$.batch[*]')::varchar[]
                                 else [line] end) as call
              from (select __cdp_f, line,
                           coalesce(try(json_type(line, '$.batch')) = 'ARRAY', false) as batched
                    from ({lines})))"""


RUDDERSTACK = ExportFormat(
    name="rudderstack",
    title="RudderStack events or batch envelopes (JSON)",
    source="web_events",
    kind="json",
    signatures=(("messageId", "anonymousId", "rudderId"), ("messageId", "userId", "rudderId"),
                ("messageId", "anonymousId", "request_ip"), ("batch",)),
    columns=CALL_COLUMNS | {"channel": _channel},
    rows_sql=_calls,
)

FORMATS = (RUDDERSTACK,)
