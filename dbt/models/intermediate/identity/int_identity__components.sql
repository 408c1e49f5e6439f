-- One row per node of the identity graph with its connected component (component_id = the
-- smallest node_id of the component).
--
-- Algorithm: min-label contraction, unrolled var('identity_max_iterations') (30) times. Each round
-- maps every node that still has an arc to the smallest id of its closed neighbourhood (parent),
-- rewrites every arc onto the parents and drops self-loops and duplicates. A component collapses
-- into its smallest node; the arc set shrinks geometrically, so the later rounds run on few (in
-- practice zero) rows and cost next to nothing. node ids are hashes, i.e. in random order, which
-- makes long chains collapse in O(log n) rounds too. The node -> root map is then composed from the
-- last round back to the first (each step on the few nodes of its round).
--
-- Convergence: the search has converged when the arcs left after the last round are none
-- (is_converged). If not, the post-hook stops the run with an error that says what to raise, and
-- the data test on is_converged fails. rounds_to_converge: rounds that had arcs to contract.

{%- set max_rounds = var('identity_max_iterations', 30) | int %}

{% set assert_converged %}
{% raw %}
{%- if execute -%}
    {%- set check = run_query("select count(*) filter (where not is_converged), max(arcs_left_after_last_round) from " ~ this) -%}
    {%- if check.columns[0].values()[0] > 0 -%}
        {{ exceptions.raise_compiler_error(
            "Identity resolution did not converge within var('identity_max_iterations') = "
            ~ var('identity_max_iterations', 30) ~ " rounds (" ~ check.columns[1].values()[0]
            ~ " arcs left). Raise it, e.g. dbt build --vars '{identity_max_iterations: 60}'; a graph"
            ~ " this deep usually means an identifier that should be blocked (int_identity__blocked_values)."
        ) }}
    {%- endif -%}
{%- endif -%}
select 1
{% endraw %}
{% endset %}

{{ config(materialized='table', post_hook=[assert_converged, '{{ cdp.drop_component_round_tables() }}']) }}

{#- rounds to unroll: max_rounds; on Spark only those that had arcs (macros/identity_components.sql) -#}
{%- set rounds = cdp.run_component_rounds(max_rounds) %}

with

nodes as (

    select node_id from {{ ref('int_identity__nodes') }}

),

edges as (

    select from_node_id, to_node_id from {{ ref('int_identity__edges') }}

),

{{ cdp.component_rounds(rounds) }}

roots_{{ rounds }} as {{ cdp.materialized_cte() }} (

    select node_id, parent_id as component_id
    from parents_{{ rounds }}

),
{% for round in range(rounds - 1, 0, -1) %}

roots_{{ round }} as {{ cdp.materialized_cte() }} (

    select parents.node_id, coalesce(later.component_id, parents.parent_id) as component_id
    from parents_{{ round }} as parents
    left join roots_{{ round + 1 }} as later
        on parents.parent_id = later.node_id

),
{% endfor %}

round_arcs as (
    {% for round in range(0, rounds + 1) %}
    select {{ round }} as round, count(*) as arcs from arcs_{{ round }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

convergence as (

    select
        min(round) filter (where arcs = 0) as rounds_to_converge,
        max(arcs) filter (where round = {{ rounds }}) as arcs_left_after_last_round

    from round_arcs

),

final as (

    select
        nodes.node_id,
        coalesce(roots_1.component_id, nodes.node_id) as component_id,
        convergence.rounds_to_converge,
        convergence.arcs_left_after_last_round,
        convergence.arcs_left_after_last_round = 0 as is_converged

    from nodes
    left join roots_1
        on nodes.node_id = roots_1.node_id
    cross join convergence

)

select * from final
