-- One row per survey response. Re-exports repeat rows; the copy from the latest export is kept
-- (file path descending, then row number), which is deterministic. Scores are validated by the
-- loader (nps 0-10, csat 1-5); nps_category follows the NPS convention.

with

source as (

    select * from {{ source('raw', 'survey_responses') }}

),

renamed as (

    select
        response_id,
        survey_id,
        {{ normalize_code('survey_type') }} as survey_type,
        {{ normalize_code('touchpoint') }} as touchpoint,
        submitted_at,
        {{ normalize_email('respondent_email') }} as respondent_email,
        contact_id,
        order_id,
        ticket_id,
        nps_score,
        csat_score,
        case
            when nps_score >= 9 then 'promoter'
            when nps_score >= 7 then 'passive'
            when nps_score >= 0 then 'detractor'
        end as nps_category,
        comment,
        _file,
        _row_number

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by response_id
            order by _file desc, _row_number desc
        ) as copy_rank

    from renamed

),

final as (

    select
        response_id,
        survey_id,
        survey_type,
        touchpoint,
        submitted_at,
        respondent_email,
        contact_id,
        order_id,
        ticket_id,
        nps_score,
        csat_score,
        nps_category,
        comment,
        _file

    from ranked
    where copy_rank = 1

)

select * from final
