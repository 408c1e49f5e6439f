"""A hostile-input corpus, written by the tests themselves (nothing binary is committed).

Each `Case` is a few files of one source that break the contract in one way (sources.md), next
to good rows, and what the loader must make of them: the keys accepted into raw and every
rejected row (file, row number, reason). Files are named
`<case>__<name>` directly in the source's folder, so every case can share one landing zone.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dagster_project.ingestion import SOURCES

T = "2025-03-01T09:15:00+07:00"  # a valid timestamp with an offset
LATER = "2025-03-02T10:00:00Z"
FUTURE = "the load time + 1 day"  # what the far-future rule's reason ends with
MB = 1024 * 1024

CONTACTS = ("contact_id,email,phone,first_name,last_name,city,country,lifecycle_stage,"
            "referred_by_contact_id,created_at,updated_at")
ORDERS = "order_id,contact_id,channel,ordered_at,status,amount,updated_at"
TICKETS = ("ticket_id,contact_id,channel,opened_at,first_response_at,resolved_at,"
           "touches_to_resolve,updated_at")
RESPONSES = ("response_id,survey_id,survey_type,touchpoint,submitted_at,respondent_email,"
             "contact_id,order_id,ticket_id,nps_score,csat_score,comment")


def contact(cid: str, created: str = T, updated: str = LATER, city: str = "Hà Nội") -> str:
    return (f"{cid},{cid.lower()}@example.com,,Lan,Nguyễn,{city},VN,customer,,"
            f"{created},{updated}")


def order(oid: str, amount: str = "59.70", ordered: str = T, updated: str = LATER,
          channel: str = "web", contact_id: str = "HC-1") -> str:
    return f"{oid},{contact_id},{channel},{ordered},completed,{amount},{updated}"


def ticket(tid: str, opened: str = T, first_response: str = LATER, touches: str = "1") -> str:
    return f"{tid},HC-1,chat,{opened},{first_response},{LATER},{touches},{LATER}"


def response(rid: str, nps: str = "9", comment: str = "good", submitted: str = T) -> str:
    return (f"{rid},S-NPS,relationship,website,{submitted},hc-1@example.com,HC-1,,,"
            f"{nps},,{comment}")


def event(mid: str, timestamp: str = T, **extra) -> str:
    line = {"message_id": mid, "type": "track", "event": "Product Viewed",
            "anonymous_id": "anon-hc-1", "user_id": "HC-1", "timestamp": timestamp,
            "received_at": "2025-03-01T02:15:03Z",
            "context": {"channel": "web", "page": {"path": "/p/1", "url": "https://shop/p/1"}},
            "properties": {"product_id": "P1", "price": 19.9}} | extra
    return json.dumps(line, ensure_ascii=False)


def csv(header: str, *rows: str) -> bytes:
    return "".join(f"{line}\n" for line in (header, *rows)).encode()


def lines(*rows: str) -> bytes:
    return "".join(f"{line}\n" for line in rows).encode()


@dataclass(frozen=True)
class Reject:
    """A rejected row: `reason` is the whole reason, or only its start when `prefix`."""

    file: str
    row: int | None
    reason: str
    prefix: bool = False

    def matches(self, reason: str) -> bool:
        return reason.startswith(self.reason) if self.prefix else reason == self.reason


@dataclass(frozen=True)
class Case:
    """Files of one source (name -> bytes as written) and what loading them must give."""

    name: str
    source: str
    files: dict[str, bytes]
    accepted: tuple[str, ...]  # keys accepted into raw; a duplicate appears twice
    rejected: tuple[Reject, ...] = ()
    # (SQL, expected rows): more outcomes; `{files}` becomes the SQL list of this case's files.
    checks: tuple[tuple[str, list[tuple]], ...] = ()
    source_timezone: str | None = None
    keys_in_staging: dict[str, int] = field(default_factory=dict)  # key -> rows after dbt

    @property
    def folder(self) -> str:
        return SOURCES[self.source].folder

    def rel(self, name: str) -> str:
        """A file's path relative to the landing zone, as the loader records it."""
        return f"{self.folder}/{self.name}__{name}"

    @property
    def files_sql(self) -> str:
        return "(" + ", ".join(f"'{self.rel(name)}'" for name in self.files) + ")"

    def write(self, landing: Path) -> None:
        for name, data in self.files.items():
            path = landing / self.rel(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def __str__(self) -> str:
        return self.name


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _padding_event() -> str:
    # A ~1.8 MB line: 1 Mi characters of ä, quotes, backslashes and commas.
    return event("ev-big-1", properties={"product_id": "P1", "blob": "ä\"\\," * (MB // 4)})


CASES: tuple[Case, ...] = (
    Case("empty_csv", "crm_contacts",
         {"empty.csv": b"", "blank_lines.csv": b"\n\n\n", "good.csv": csv(CONTACTS,
                                                                            contact("EC-1"))},
         accepted=("EC-1",),
         checks=(("select file, rows_read from ingest.loaded_files where file in {files} "
                  "order by file",
                  [("crm/contacts/empty_csv__blank_lines.csv", 0),
                   ("crm/contacts/empty_csv__empty.csv", 0),
                   ("crm/contacts/empty_csv__good.csv", 1)]),)),
    Case("empty_jsonl", "web_events",
         {"empty.jsonl": b"", "empty.jsonl.gz": _gzip(b""), "blank.jsonl": b"\n  \n\r\n\t\n",
          "good.jsonl": lines(event("EJ-1"))},
         accepted=("EJ-1",)),
    Case("header_only", "survey_responses",
         {"header.csv": csv(RESPONSES), "header_no_newline.csv": RESPONSES.encode(),
          "good.csv": csv(RESPONSES, response("HO-1"))},
         accepted=("HO-1",)),
    Case("missing_required_column", "crm_orders",
         {"no_amount.csv": csv(ORDERS.replace(",amount", ""),
                               "MR-1,HC-1,web,2025-03-01T09:15:00Z,completed,2025-03-01T09:15:00Z",
                               "MR-2,HC-1,web,2025-03-01T09:15:00Z,completed,2025-03-01T09:15:00Z"),
          "two_missing.csv": csv("order_id,contact_id,ordered_at,updated_at",
                                 f"MR-3,HC-1,{T},{LATER}"),
          "good.csv": csv(ORDERS, order("MR-4"))},
         accepted=("MR-4",),
         rejected=(Reject("no_amount.csv", 1,
                          "required column amount is missing from the file's header"),
                   Reject("no_amount.csv", 2,
                          "required column amount is missing from the file's header"),
                   Reject("two_missing.csv", 1, "required columns status, amount are missing "
                                                "from the file's header"))),
    Case("extra_and_reordered_columns", "crm_tickets",
         {"reordered.csv": csv(
             " Updated_At ,priority,TICKET_ID,touches_to_resolve,opened_at,internal_note,"
             "contact_id,channel,Channel,",  # a repeated column (the first counts), a nameless one
             f'{LATER},high,XR-1,3,{T},"a note, with a comma",HC-1,chat,social,x',
             f'{LATER},,XR-2,,{T},,,phone,,')},
         accepted=("XR-1", "XR-2"),
         checks=(("select ticket_id, contact_id, channel, touches_to_resolve, opened_at, "
                  "updated_at from raw.crm_tickets where _file in {files} order by 1",
                  [("XR-1", "HC-1", "chat", 3, datetime(2025, 3, 1, 2, 15),
                    datetime(2025, 3, 2, 10, 0)),
                   ("XR-2", None, "phone", None, datetime(2025, 3, 1, 2, 15),
                    datetime(2025, 3, 2, 10, 0))]),)),
    Case("bom_csv", "crm_contacts",
         {"bom.csv": b"\xef\xbb\xbf" + csv(CONTACTS, contact("BC-1"), contact("BC-2")),
          "bom_quoted_header.csv": b"\xef\xbb\xbf" + csv(
              '"contact_id","email","created_at","updated_at"', f"BC-3,,{T},{LATER}")},
         accepted=("BC-1", "BC-2", "BC-3")),
    Case("blank_lines_before_header", "survey_responses",
         {"blank_first.csv": b"\r\n  \n" + csv(RESPONSES, response("BH-1"),
                                                 response("BH-2", nps="11"))},
         accepted=("BH-1",),
         rejected=(Reject("blank_first.csv", 2, "nps_score 11 is outside 0-10"),)),
    Case("cr_line_endings", "crm_contacts",
         {"old_mac.csv": csv(CONTACTS, contact("CR-1"), contact("CR-2") + ",surplus",
                             contact("CR-3")).replace(b"\n", b"\r")},
         accepted=("CR-1", "CR-3"),
         rejected=(Reject("old_mac.csv", 2, "the reader rejected the row: too many columns (",
                          prefix=True),)),
    Case("bom_jsonl", "web_events",
         {"bom.jsonl": b"\xef\xbb\xbf" + lines(event("BJ-1"), event("BJ-2"))},
         accepted=("BJ-1", "BJ-2")),
    Case("invalid_utf8_csv", "crm_contacts",
         {"latin1.csv": csv(CONTACTS, contact("IU-1"), contact("IU-2", city="Hue"),
                            contact("IU-3")).replace(b",Hue,", b",Hu\xe9,")},  # Latin-1 é
         accepted=("IU-1", "IU-3"),
         rejected=(Reject("latin1.csv", 2, "the reader rejected the row at field city: "
                                           "invalid encoding (", prefix=True),)),
    Case("invalid_utf8_jsonl", "web_events",
         {"bytes.jsonl": lines(event("IJ-1")) + event("IJ-2").encode().replace(
             b"Product Viewed", b"Product \xff\xfe Viewed") + b"\n" + lines(event("IJ-3"))},
         accepted=("IJ-1", "IJ-3"),
         rejected=(Reject("bytes.jsonl", 2, "the reader rejected the line: invalid encoding (",
                          prefix=True),)),
    Case("mixed_line_endings_csv", "crm_orders",
         {"crlf_and_lf.csv": (ORDERS + "\r\n" + order("ML-1") + "\n" + order("ML-2", "-1")
                              + "\r\n" + order("ML-3").replace("web", '"we\r\nb"') + "\n"
                              ).encode()},
         accepted=("ML-1", "ML-3"),
         rejected=(Reject("crlf_and_lf.csv", 2, "amount -1 is negative (must be >= 0)"),),
         checks=(("select order_id, channel from raw.crm_orders where _file in {files} "
                  "order by 1", [("ML-1", "web"), ("ML-3", "we\nb")]),)),
    Case("mixed_line_endings_jsonl", "web_events",
         {"crlf_and_lf.jsonl.gz": _gzip((event("MJ-1") + "\r\n" + event("MJ-2") + "\n\r\n"
                                         + "[]\r\n" + event("MJ-3")).encode())},
         accepted=("MJ-1", "MJ-2", "MJ-3"),
         rejected=(Reject("crlf_and_lf.jsonl.gz", 4, "the line is a JSON array, not an object"),)),
    Case("truncated_gz", "web_events",
         {"cut.jsonl.gz": _gzip(lines(*(event(f"TG-{i}") for i in range(200))))[:300],
          "good.jsonl.gz": _gzip(lines(event("TG-OK")))},
         accepted=("TG-OK",),
         rejected=(Reject("cut.jsonl.gz", None, "the file cannot be read: IO Error: "
                                                  "Unexpected end of GZIP stream", prefix=True),)),
    Case("truncated_csv", "crm_tickets",
         {"cut_in_quotes.csv": csv(TICKETS, ticket("TC-1")) + b'TC-2,HC-1,"chat',
          "cut_mid_row.csv": csv(TICKETS, ticket("TC-3")) + b"TC-4,HC-1,chat,2025-03"},
         accepted=("TC-1", "TC-3"),
         rejected=(Reject("cut_in_quotes.csv", 2, "the reader rejected the row at field channel:"
                                                  " unquoted value (", prefix=True),
                   Reject("cut_mid_row.csv", 2, "the reader rejected the row at field "
                                                "first_response_at: missing columns (",
                          prefix=True))),
    Case("json_not_object", "web_events",
         {"shapes.jsonl": lines("[1, 2]", event("JN-1"), "42", '"text"', "null", "true",
                                "-7.5", "{broken", event("JN-2"))},
         accepted=("JN-1", "JN-2"),
         rejected=(Reject("shapes.jsonl", 1, "the line is a JSON array, not an object"),
                   Reject("shapes.jsonl", 3, "the line is a JSON number, not an object"),
                   Reject("shapes.jsonl", 4, "the line is a JSON string, not an object"),
                   Reject("shapes.jsonl", 5, "the line is a JSON null, not an object"),
                   Reject("shapes.jsonl", 6, "the line is a JSON boolean, not an object"),
                   Reject("shapes.jsonl", 7, "the line is a JSON number, not an object"),
                   Reject("shapes.jsonl", 8, "the line is not valid JSON"))),
    Case("one_mb_line_jsonl", "web_events",
         {"big.jsonl": lines(event("ev-small-1"), _padding_event(), event("ev-small-2"))},
         accepted=("ev-small-1", "ev-big-1", "ev-small-2"),
         checks=(("select message_id, length(properties->>'blob') from raw.web_events "
                  "where _file in {files} and properties->>'blob' is not null",
                  [("ev-big-1", 4 * (MB // 4))]),)),
    Case("one_mb_line_csv", "survey_responses",
         {"big.csv": csv(RESPONSES, response("MB-1"),
                         response("MB-2", comment='"' + 'a ""quoted"", multi\nline, ' * 45000
                                  + '"'),
                         response("MB-3"))},
         accepted=("MB-1", "MB-2", "MB-3"),
         checks=(("select response_id, length(comment) > 1000000 from raw.survey_responses "
                  "where _file in {files} order by 1",
                  [("MB-1", False), ("MB-2", True), ("MB-3", False)]),)),
    Case("duplicate_ids", "survey_responses",
         {"twice.csv": csv(RESPONSES, response("DU-1"), response("DU-2"), response("DU-1"),
                           response("DU-1", nps="ten"))},
         accepted=("DU-1", "DU-2", "DU-1"),
         rejected=(Reject("twice.csv", 4, "nps_score 'ten' is not an integer"),),
         keys_in_staging={"DU-1": 1, "DU-2": 1}),
    Case("duplicate_ids_jsonl", "web_events",
         {"twice.jsonl": lines(event("DJ-1"), event("DJ-2"), event("DJ-1"))},
         accepted=("DJ-1", "DJ-2", "DJ-1"),
         keys_in_staging={"DJ-1": 1, "DJ-2": 1}),
    Case("offsetless_timestamps", "crm_tickets",
         {"naive.csv": csv(TICKETS, ticket("OT-1"), ticket("OT-2", opened="2018-06-12 20:07:44"),
                           ticket("OT-3", first_response="2025-03-01T10:00:00"))},
         accepted=("OT-1",),
         rejected=(Reject("naive.csv", 2, "opened_at '2018-06-12 20:07:44' has no UTC offset "
                                          "and CDP_SOURCE_TIMEZONE is not set, so its instant "
                                          "is unknown"),
                   Reject("naive.csv", 3, "first_response_at '2025-03-01T10:00:00' has no UTC "
                                          "offset and CDP_SOURCE_TIMEZONE is not set, so its "
                                          "instant is unknown"))),
    Case("offsetless_timestamps_with_source_zone", "crm_tickets",
         {"naive.csv": csv(TICKETS, ticket("OZ-1", opened="2018-06-12 20:07:44"))},
         accepted=("OZ-1",),
         source_timezone="Asia/Ho_Chi_Minh",
         checks=(("select opened_at from raw.crm_tickets where _file in {files}",
                  [(datetime(2018, 6, 12, 13, 7, 44),)]),)),
    Case("far_future_timestamps", "crm_contacts",
         {"future.csv": csv(CONTACTS, contact("FF-1"),
                            contact("FF-2", updated="9999-12-31T23:59:59Z"),
                            contact("FF-3", created="9999-01-01T00:00:00+07:00"))},
         accepted=("FF-1",),
         rejected=(Reject("future.csv", 2, f"updated_at '9999-12-31T23:59:59Z' is in the future "
                                           f"(after {FUTURE})"),
                   Reject("future.csv", 3, f"created_at '9999-01-01T00:00:00+07:00' is in the "
                                           f"future (after {FUTURE})"))),
    Case("far_future_events", "web_events",
         {"future.jsonl": lines(event("FE-1"), event("FE-2", timestamp="9999-12-31T23:59:59Z"))},
         accepted=("FE-1",),
         rejected=(Reject("future.jsonl", 2, f"event_timestamp '9999-12-31T23:59:59Z' is in the "
                                             f"future (after {FUTURE})"),)),
    Case("nps_not_a_score", "survey_responses",
         {"scores.csv": csv(RESPONSES, response("NS-1", nps="ten"), response("NS-2", nps="10"),
                            response("NS-3", nps="11"), response("NS-4", nps="-1"),
                            response("NS-5", nps="7.5"), response("NS-6", nps=""),
                            response("NS-7", nps=" 0 "))},
         accepted=("NS-2", "NS-6", "NS-7"),
         rejected=(Reject("scores.csv", 1, "nps_score 'ten' is not an integer"),
                   Reject("scores.csv", 3, "nps_score 11 is outside 0-10"),
                   Reject("scores.csv", 4, "nps_score -1 is outside 0-10"),
                   Reject("scores.csv", 5, "nps_score '7.5' is not an integer"))),
    Case("negative_amounts", "crm_orders",
         {"amounts.csv": csv(ORDERS, order("NA-1", "-3"), order("NA-2", "0"),
                             order("NA-3", "-0.01"), order("NA-4", "NaN"),
                             order("NA-5", "12.50"), order("NA-6", ""))},
         accepted=("NA-2", "NA-5"),
         rejected=(Reject("amounts.csv", 1, "amount -3 is negative (must be >= 0)"),
                   Reject("amounts.csv", 3, "amount -0.01 is negative (must be >= 0)"),
                   Reject("amounts.csv", 4, "amount 'NaN' is not a number"),
                   Reject("amounts.csv", 6, "amount is required but empty"))),
)

# The contact the good orders, tickets, responses and events of the corpus belong to.
ANCHOR = Case("anchor_contact", "crm_contacts", {"anchor.csv": csv(CONTACTS, contact("HC-1"))},
              accepted=("HC-1",))
