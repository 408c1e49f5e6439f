{#- The figures that the overall, daily and monthly performance marts share, written once and
    grouped by whichever period the mart wants. `period_sql` is a SQL expression over the input's
    timestamp (e.g. to_local_date('started_at')), output as the column `period_name`; with none,
    the figures are over all time. Rates are taken over the period's own rows, never averaged
    over smaller periods (a quiet Sunday would weigh like a campaign Monday), and distinct users
    are counted in the period (a daily count cannot be summed into a monthly one). -#}

{#- channel_performance_daily / _monthly: sessions, users, conversions and carts per channel_group.
    Revenue is the Order Completed revenue tracked in the sessions, as money, named `revenue_name`. -#}
{% macro session_channel_figures(sessions, period_sql, period_name, revenue_name) -%}
select
    {{ period_name }},
    channel_group,
    sessions,
    users,
    conversions,
    {{ safe_divide('1.0 * conversions', 'sessions') }} as conversion_rate,
    cart_sessions,
    abandoned_cart_sessions,
    {{ safe_divide('1.0 * abandoned_cart_sessions', 'cart_sessions') }} as cart_abandonment_rate,
    {{ money('revenue') }} as {{ revenue_name }}
from (
    select
        {{ period_name }},
        channel_group,
        count(*) as sessions,
        count(distinct anonymous_id) as users,
        count(*) filter (where is_converted) as conversions,
        count(*) filter (where is_cart_session) as cart_sessions,
        count(*) filter (where is_cart_session and not is_converted) as abandoned_cart_sessions,
        sum(revenue) as revenue
    from (
        select
            {{ period_sql }} as {{ period_name }},
            channel_group,
            anonymous_id,
            coalesce(converted, false) as is_converted,
            coalesce(added_to_cart, false) as is_cart_session,
            coalesce(revenue, 0) as revenue
        from {{ sessions }}
    ) as dated
    group by {{ period_name }}, channel_group
) as aggregated
{%- endmacro %}

{#- touchpoint_performance / _monthly: NPS and CSAT per survey touchpoint. nps counts only
    responses with an nps_score, csat and avg_csat only responses with a csat_score, each NULL
    when its own denominator is zero; a response without a touchpoint counts under 'unknown'. -#}
{% macro survey_touchpoint_figures(responses, period_sql=none, period_name=none) -%}
{%- set period = period_name ~ ',' if period_name else '' -%}
select
    {{ period }}
    touchpoint,
    responses,
    nps_responses,
    promoters,
    passives,
    detractors,
    {{ nps('promoters', 'detractors', 'nps_responses') }} as nps,
    csat_responses,
    satisfied_responses,
    {{ safe_divide('1.0 * satisfied_responses', 'csat_responses') }} as csat,
    cast(avg_csat as double) as avg_csat
from (
    select
        {{ period }}
        touchpoint,
        count(*) as responses,
        count(*) filter (where has_nps) as nps_responses,
        count(*) filter (where nps_category = 'promoter') as promoters,
        count(*) filter (where nps_category = 'passive') as passives,
        count(*) filter (where nps_category = 'detractor') as detractors,
        count(*) filter (where has_csat) as csat_responses,
        count(*) filter (where is_satisfied) as satisfied_responses,
        avg(csat_score) as avg_csat
    from (
        select
            {% if period_name %}{{ period_sql }} as {{ period_name }},{% endif %}
            coalesce(touchpoint, 'unknown') as touchpoint,
            nps_score is not null as has_nps,
            nps_category,
            csat_score,
            csat_score is not null as has_csat,
            coalesce(csat_score >= 4, false) as is_satisfied
        from {{ responses }}
    ) as classified
    group by {{ period }} touchpoint
) as aggregated
{%- endmacro %}

{#- The month holds the as-of date (or later), so it is not over yet. -#}
{% macro is_partial_month(month) -%}
    {{ month }} >= cast(date_trunc('month', {{ as_of_date() }}) as date)
{%- endmacro %}
