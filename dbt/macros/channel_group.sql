{#-
    channel_group(source, medium, referrer_host): the channel group of a session from its first
    event's campaign source, campaign medium and referrer host (marts.md "sessions"). The ONE place
    the rules live: every model that needs a channel group calls this macro.

    Rules, first that matches wins (inputs lower-cased and trimmed here, as staging already does):
      1. Direct          no source, medium `(none)` or empty, no referrer
      2. Paid Search     paid medium (^(.*cp.*|ppc|paid.*)$) and source is a search engine
      3. Paid Social     paid medium and source is a social network
      4. Display         medium in (display, banner, cpm)
      5. Paid Other      any other paid medium
      6. Organic Search  source or referrer host is a search engine
      7. Organic Social  source or referrer host is a social network, or medium in (social, social-network, sm)
      8. Email           source or medium is `email` or `newsletter`
      9. Referral        medium `referral`, or any referrer (the shop's own pages carry none)
     10. Unassigned
    Search engines and social networks are the seeds channel_search_engines and
    channel_social_networks. A value matches a name when one of its dot-separated labels equals the
    name: `www.google.com.vn` matches `google`, `m.facebook.com` matches `facebook`. The same
    label rule is applied to the source (a plain `google` is its own single label).
-#}

{% macro channel_group(source, medium, referrer_host) -%}
    {%- set src = "nullif(lower(trim(" ~ source ~ ")), '')" -%}
    {%- set med = "nullif(lower(trim(" ~ medium ~ ")), '')" -%}
    {%- set host = "nullif(lower(trim(" ~ referrer_host ~ ")), '')" -%}
    {%- set paid = cdp.is_paid_medium(med) -%}
    {%- set source_search = cdp.channel_name_matches(src, ref('channel_search_engines'), 'search_engine') -%}
    {%- set source_social = cdp.channel_name_matches(src, ref('channel_social_networks'), 'social_network') -%}
    {%- set host_search = cdp.channel_name_matches(host, ref('channel_search_engines'), 'search_engine') -%}
    {%- set host_social = cdp.channel_name_matches(host, ref('channel_social_networks'), 'social_network') -%}
    case
        when {{ src }} is null and coalesce({{ med }}, '(none)') = '(none)' and {{ host }} is null
            then 'Direct'
        when {{ paid }} and {{ source_search }} then 'Paid Search'
        when {{ paid }} and {{ source_social }} then 'Paid Social'
        when {{ med }} in ('display', 'banner', 'cpm') then 'Display'
        when {{ paid }} then 'Paid Other'
        when {{ source_search }} or {{ host_search }} then 'Organic Search'
        when {{ source_social }} or {{ host_social }} or {{ med }} in ('social', 'social-network', 'sm')
            then 'Organic Social'
        when {{ src }} in ('email', 'newsletter') or {{ med }} in ('email', 'newsletter') then 'Email'
        when {{ med }} = 'referral' or {{ host }} is not null then 'Referral'
        else 'Unassigned'
    end
{%- endmacro %}


{#- True when `value` (a lower-cased host or source) has a dot-separated label equal to a name of
    `lookup`.`name_column`; false (not NULL) when value is NULL. -#}
{% macro channel_name_matches(value, lookup, name_column) -%}
    {{ return(adapter.dispatch('channel_name_matches', 'cdp')(value, lookup, name_column)) }}
{%- endmacro %}

{% macro default__channel_name_matches(value, lookup, name_column) -%}
    coalesce(exists (
        select 1
        from {{ lookup }} as lookup_names
        where ('.' || {{ value }} || '.') like ('%.' || lookup_names.{{ name_column }} || '.%')
    ), false)
{%- endmacro %}

{#- DuckDB: the names are read once into a list (an uncorrelated subquery) and compared with the
    value's labels - no correlated subquery per row, which matters for millions of sessions. -#}
{% macro duckdb__channel_name_matches(value, lookup, name_column) -%}
    coalesce(list_has_any(
        string_split({{ value }}, '.'),
        (select list({{ name_column }}) from {{ lookup }})
    ), false)
{%- endmacro %}


{#- Spark: like DuckDB's, the names as an array read once (an uncorrelated scalar subquery). -#}
{% macro spark__channel_name_matches(value, lookup, name_column) -%}
    coalesce(arrays_overlap(
        split({{ value }}, '[.]'),
        (select collect_list({{ name_column }}) from {{ lookup }})
    ), false)
{%- endmacro %}


{#- Paid medium of marts.md: the whole medium matches ^(.*cp.*|ppc|paid.*)$. False when NULL. -#}
{% macro is_paid_medium(medium) -%}
    {{ return(adapter.dispatch('is_paid_medium', 'cdp')(medium)) }}
{%- endmacro %}

{% macro default__is_paid_medium(medium) -%}
    coalesce(regexp_like({{ medium }}, '^(.*cp.*|ppc|paid.*)$'), false)
{%- endmacro %}

{% macro duckdb__is_paid_medium(medium) -%}
    coalesce(regexp_full_match({{ medium }}, '.*cp.*|ppc|paid.*'), false)
{%- endmacro %}
