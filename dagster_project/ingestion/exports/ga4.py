"""GA4's BigQuery export (`events_YYYYMMDD` rows) -> web_events (docs/exports.md, "GA4").

The rows as `bq extract` writes them: newline-delimited JSON (INT64 values as quoted strings,
NULL fields left out) or Parquet (read by the core as JSON objects, `to_json`); files written
by other routes (a console download, a client library) carry integers as numbers and NULLs as
`null`: all read alike, since every field is read as text.

What an analyst of the contract's events expects from GA4's:
- type / event: `page_view` and `screen_view` (an app's page view: GA4's own "Views" count both)
  are `page` events without a name; the e-commerce events take the contract's names
  (`view_item` -> `Product Viewed`, `add_to_cart` -> `Product Added`, `begin_checkout` ->
  `Checkout Started`, `purchase` -> `Order Completed`, `sign_up` -> `Signed Up`); every other
  event (`session_start`, `scroll`, `first_visit`...) is a `track` event kept by its GA4 name.
- event_timestamp: microseconds since the epoch in UTC -> ISO 8601 with `Z` (`event_date` is
  in the property's zone and is not read). A value that is not a whole number is passed on as
  written and rejected by the contract's timestamp rule, naming it.
- message_id: GA4 rows carry no event id. `ga4-` + md5 of the fields that tell two events
  apart: stream_id, user_pseudo_id, event_timestamp, event_name, event_bundle_sequence_id, the
  `ga_session_id` param and the 2024 batch fields (batch_page_id, batch_ordering_id,
  batch_event_index; empty where absent). A day exported again, in a new file, gives the same
  ids, so staging keeps one copy of each event.
- campaign: the first that is set of the event's own `source` / `medium` / `campaign` params
  (the utm of the hit), `collected_traffic_source` (manual_source...), the session's
  `session_traffic_source_last_click.cross_channel_campaign` (exports since 2024), and
  `traffic_source` (the user's first-touch source) only on events of the user's first session
  (`ga_session_number` 1), where it is the session's source too. GA4's placeholders
  (`(direct)`, `(none)`, `(not set)`, `(organic)`, `(referral)`, `<Other>`...: a value starting
  with `(` or `<`) are no campaign and read as empty.
- channel: platform WEB -> web, ANDROID / IOS -> app (another value kept as written).
- product_id, price: the first item's item_id and price on the events about one product
  (view_item, select_item, add_to_cart, remove_from_cart, add_to_wishlist); none on the events
  whose items are a whole cart (begin_checkout, purchase...).
- order_id: ecommerce.transaction_id, else the `transaction_id` param (`(not set)` is none);
  revenue: ecommerce.purchase_revenue, else the `value` param of a purchase.
- received_at: event_timestamp + event_server_timestamp_offset (GA4's delay between the
  event and its upload), empty without an offset (staging then keeps a repeated event's copy of
  the earliest file). traits_email: GA4 exports no email (its terms forbid personal data).
- properties, traits: empty. The params a column reads are in their columns; copying every
  row's event_params and user_properties into raw as JSON cost a fifth of the load time (they
  are the bulk of a row's bytes) for fields no model reads: the export itself keeps them.
"""

from dagster_project.ingestion.exports.base import ExportFormat, Fields, map_values
from dagster_project.ingestion.rules import sql_string

# The typed shape of event_params: every value slot read as text, so an integer written as a
# string (`"int_value":"90"`) or a number, and a float or a double, all come out as text.
_PARAMS_TYPE = ('[{"key": "VARCHAR", "value": {"string_value": "VARCHAR", '
                '"int_value": "VARCHAR", "double_value": "VARCHAR", "float_value": "VARCHAR"}}]')

EVENT_NAMES = {
    "view_item": "Product Viewed",
    "add_to_cart": "Product Added",
    "begin_checkout": "Checkout Started",
    "purchase": "Order Completed",
    "sign_up": "Signed Up",
}
PAGE_EVENTS = ("page_view", "screen_view")
# Events about one product: its first item is the product.
ITEM_EVENTS = ("view_item", "select_item", "add_to_cart", "remove_from_cart", "add_to_wishlist")
# The fields that identify an event, for message_id (in this order).
IDENTIFYING = ("stream_id", "user_pseudo_id", "event_timestamp", "event_name",
               "event_bundle_sequence_id", "ga_session_id", "batch_page_id",
               "batch_ordering_id", "batch_event_index")


def field(f: Fields, name: str) -> str:
    """A field of the row by its GA4 name (`device.category`), as text."""
    return f(f"$.{name}", shown=name)


# The params the columns read, each looked up once per row (`_found`).
PARAM_KEYS = ("ga_session_id", "ga_session_number", "page_location", "page_referrer",
              "page_title", "firebase_screen", "source", "medium", "campaign",
              "transaction_id", "value")


def _params(f: Fields) -> str:
    """SQL: event_params as a list of {key, value: {string_value, int_value, double_value,
    float_value}}, parsed once per row. A value that is not a list reads as no params."""
    text = f("$.event_params", shown="event_params")
    return f"case when starts_with(ltrim({text}), '[') then from_json({text}, '{_PARAMS_TYPE}') end"


def _found(f: Fields) -> str:
    """SQL: a struct of the value record of each param of PARAM_KEYS (NULL: absent), found once
    per row: the columns then read struct fields, not a list search each."""
    params = f.derived("params", shown="event_params")
    return "struct_pack(" + ", ".join(
        f"{key} := list_filter({params}, lambda p: p.key = {sql_string(key)})[1].value"
        for key in PARAM_KEYS) + ")"


def param(f: Fields, key: str) -> str:
    """SQL: the value of event param `key` as text, whichever slot holds it; NULL without one."""
    if key not in PARAM_KEYS:
        raise ValueError(f"param {key!r} is not in PARAM_KEYS")
    found = f"{f.derived('found', shown=f'event_params.{key}')}.{key}"
    return (f"coalesce({found}.string_value, {found}.int_value, {found}.double_value, "
            f"{found}.float_value)")


def _no_placeholder(text: str) -> str:
    """NULL for GA4's placeholder values, which all start with `(` or `<` (`(direct)`, `(none)`,
    `(not set)`, `(organic)`, `<Other>`...), and for an empty one. One cheap test: a dozen of
    these run on every row."""
    return f"case when left(ltrim({text}), 1) not in ('(', '<', '') then {text} end"


def _name_is(f: Fields, names: tuple[str, ...]) -> str:
    return f"{field(f, 'event_name')} in ({', '.join(map(sql_string, names))})"


def _timestamp(f: Fields) -> str:
    micros = field(f, "event_timestamp")
    whole = f"try_cast(trim({micros}) as bigint)"
    return (f"coalesce(strftime(make_timestamp({whole}), '%Y-%m-%dT%H:%M:%S.%fZ'), {micros})")


def _received_at(f: Fields) -> str:
    """event_timestamp + event_server_timestamp_offset (the upload's delay, in microseconds) as
    ISO text; NULL when either is absent or not a whole number."""
    micros = f"try_cast(trim({field(f, 'event_timestamp')}) as bigint)"
    offset = f"try_cast(trim({field(f, 'event_server_timestamp_offset')}) as bigint)"
    return f"strftime(make_timestamp({micros} + {offset}), '%Y-%m-%dT%H:%M:%S.%fZ')"


def _message_id(f: Fields) -> str:
    parts = [param(f, "ga_session_id") if name == "ga_session_id" else field(f, name)
             for name in IDENTIFYING]
    return ("'ga4-' || md5(concat_ws('|', "
            + ", ".join(f"coalesce(trim({p}), '')" for p in parts) + "))")


def _type(f: Fields) -> str:
    return (f"case when {_name_is(f, PAGE_EVENTS)} then 'page' "
            f"when {field(f, 'event_name')} is not null then 'track' end")


def _event(f: Fields) -> str:
    return (f"case when not {_name_is(f, PAGE_EVENTS)} "
            f"then {map_values(field(f, 'event_name'), EVENT_NAMES)} end")


def _campaign(param_key: str, collected: str, last_click: str, first_user: str):
    def text(f: Fields) -> str:
        first_session = f"{param(f, 'ga_session_number')} = '1'"
        candidates = [param(f, param_key), field(f, f"collected_traffic_source.{collected}"),
                      field(f, f"session_traffic_source_last_click.cross_channel_campaign."
                               f"{last_click}"),
                      f"case when {first_session} then {field(f, f'traffic_source.{first_user}')}"
                      f" end"]
        return f"coalesce({', '.join(_no_placeholder(c) for c in candidates)})"
    return text


def _page_path(f: Fields) -> str:
    url = param(f, "page_location")
    return (f"case when contains({url}, '://') then coalesce(nullif(regexp_extract("
            f"{url}, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)', 1), ''), '/') end")


def _of_one_product(f: Fields, item_field: str) -> str:
    return f"case when {_name_is(f, ITEM_EVENTS)} then {field(f, f'items[0].{item_field}')} end"


GA4 = ExportFormat(
    name="ga4",
    title="GA4 BigQuery export (events_YYYYMMDD rows: JSON lines or Parquet)",
    source="web_events",
    kind="json",
    signatures=(("event_timestamp", "event_name", "user_pseudo_id"),
                ("event_timestamp", "event_name", "event_params")),
    columns={
        "message_id": _message_id,
        "type": _type,
        "event": _event,
        "anonymous_id": lambda f: field(f, "user_pseudo_id"),
        "user_id": lambda f: field(f, "user_id"),
        "event_timestamp": _timestamp,
        "received_at": _received_at,
        "channel": lambda f: map_values(field(f, "platform"),
                                        {"web": "web", "android": "app", "ios": "app"}),
        "page_url": lambda f: param(f, "page_location"),
        "page_path": _page_path,
        "page_referrer": lambda f: param(f, "page_referrer"),
        "page_title": lambda f: f"coalesce({param(f, 'page_title')}, "
                                f"{param(f, 'firebase_screen')})",
        "campaign_source": _campaign("source", "manual_source", "source", "source"),
        "campaign_medium": _campaign("medium", "manual_medium", "medium", "medium"),
        "campaign_name": _campaign("campaign", "manual_campaign_name", "campaign_name", "name"),
        "device_type": lambda f: field(f, "device.category"),
        "product_id": lambda f: _of_one_product(f, "item_id"),
        "price": lambda f: _of_one_product(f, "price"),
        "order_id": lambda f: (f"coalesce({_no_placeholder(field(f, 'ecommerce.transaction_id'))}"
                               f", {_no_placeholder(param(f, 'transaction_id'))})"),
        "revenue": lambda f: (f"coalesce({field(f, 'ecommerce.purchase_revenue')}, case when "
                              f"{_name_is(f, ('purchase',))} then {param(f, 'value')} end)"),
    },
    derived={"params": _params, "found": _found},
    notes="message_id: ga4- + md5 of " + ", ".join(IDENTIFYING),
)

FORMATS = (GA4,)
