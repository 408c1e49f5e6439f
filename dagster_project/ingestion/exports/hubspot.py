"""HubSpot contacts export (CSV) -> crm_contacts (docs/exports.md, "HubSpot").

Read by English labels (`Record ID`, `Email`, `Create Date`...) or by the internal names an
export "with internal names" writes (`hs_object_id`, `email`, `createdate`...). HubSpot writes
its dates without an offset, in the exporting user's zone: name it with `timezone:` in the
folder's cdp_format.yml (else CDP_SOURCE_TIMEZONE applies, else the rows are rejected, as any
offset-less time). A localised export (German labels...) is not recognised: map it with
`columns:`.
"""

from dagster_project.ingestion.exports.base import ExportFormat, Fields, first_of, map_values
from dagster_project.ingestion.exports.countries import country_code_sql

# HubSpot's lifecycle stages (labels and internal values) -> the contract's stages. The two
# qualified-lead stages are leads to the contract; a custom stage (a numeric id) is kept.
LIFECYCLE = {
    "subscriber": "subscriber", "lead": "lead", "marketing qualified lead": "lead",
    "marketingqualifiedlead": "lead", "sales qualified lead": "lead",
    "salesqualifiedlead": "lead", "opportunity": "opportunity", "customer": "customer",
    "evangelist": "evangelist", "other": "other",
}


def _phone(f: Fields) -> str:
    """`Phone Number`, else `Mobile Phone Number`."""
    return f"coalesce(nullif(trim({first_of('Phone Number', 'phone')(f)}), ''), " \
           f"{first_of('Mobile Phone Number', 'mobilephone')(f)})"


CONTACTS = ExportFormat(
    name="hubspot",
    title="HubSpot contacts export (CSV)",
    source="crm_contacts",
    kind="csv",
    signatures=(("Record ID", "Create Date"), ("hs_object_id", "createdate")),
    columns={
        "contact_id": first_of("Record ID", "hs_object_id"),
        "email": first_of("Email"),
        "phone": _phone,
        "first_name": first_of("First Name", "firstname"),
        "last_name": first_of("Last Name", "lastname"),
        "city": first_of("City"),
        "country": lambda f: country_code_sql(first_of("Country/Region", "country")(f)),
        "lifecycle_stage": lambda f: map_values(first_of("Lifecycle Stage", "lifecyclestage")(f),
                                                LIFECYCLE),
        "created_at": first_of("Create Date", "createdate"),
        "updated_at": first_of("Last Modified Date", "lastmodifieddate"),
    },
    notes="No referred_by_contact_id: HubSpot has no such standard property (map one with "
          "columns:).",
)

FORMATS = (CONTACTS,)
