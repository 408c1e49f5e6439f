{#-
    The contraction rounds of int_identity__components (see the model for the algorithm). The SQL
    of a round is written once (component_*_sql below); how the rounds run is engine-specific:

    - DuckDB (duckdb__component_rounds): all var('identity_max_iterations') rounds unrolled as
      `as materialized` CTEs of the model's one query. Empty rounds cost nothing.
    - Spark and others (default__component_rounds): an unrolled chain of CTEs cannot work there -
      Spark inlines every CTE into its plan, and each round reads the previous one three times,
      so the plan grows as 3^rounds. Each round is instead written to a scratch table
      (<model>__arcs_<n>, <model>__parents_<n>, next to the model) by run_query when the model
      is compiled for execution, stopping at the first round left with no arc; the model's CTEs
      read those tables (rounds after it: empty). The post-hook drop_component_round_tables
      drops them once the model is built (rounds_to_converge tells how many there are).

    Both give the same components, rounds_to_converge and arcs_left_after_last_round.
-#}


{#- Both directions of every edge (self-loops dropped). -#}
{% macro component_arcs_0_sql(edges) -%}
select from_node_id as node_id, to_node_id as neighbor_id
    from {{ edges }}
    where from_node_id <> to_node_id

    union all

    select to_node_id, from_node_id
    from {{ edges }}
    where from_node_id <> to_node_id
{%- endmacro %}


{#- Round n, step 1: every node that has an arc -> the smallest id of its closed neighbourhood. -#}
{% macro component_parents_sql(arcs) -%}
select node_id, least(node_id, min(neighbor_id)) as parent_id
    from {{ arcs }}
    group by node_id
{%- endmacro %}


{#- Round n, step 2: the arcs' start nodes moved onto their parents. -#}
{% macro component_half_mapped_sql(arcs, parents) -%}
select parents.parent_id as node_id, arcs.neighbor_id
    from {{ arcs }} as arcs
    inner join {{ parents }} as parents
        on arcs.node_id = parents.node_id
{%- endmacro %}


{#- Round n, step 3: the arcs' end nodes moved onto their parents; self-loops and duplicates dropped. -#}
{% macro component_arcs_sql(half_mapped, parents) -%}
select distinct half.node_id, parents.parent_id as neighbor_id
    from {{ half_mapped }} as half
    inner join {{ parents }} as parents
        on half.neighbor_id = parents.node_id
    where half.node_id <> parents.parent_id
{%- endmacro %}


{#- The CTEs arcs_0 and, for each round n in 1..max_rounds, parents_n and arcs_n (each followed by
    a comma), from the model's CTE `edges`. -#}
{% macro component_rounds(max_rounds) -%}
    {{ return(adapter.dispatch('component_rounds', 'cdp')(max_rounds)) }}
{%- endmacro %}

{% macro duckdb__component_rounds(max_rounds) -%}
-- both directions of every edge (self-loops dropped)
arcs_0 as materialized (

    {{ cdp.component_arcs_0_sql('edges') }}

),
{% for round in range(1, max_rounds + 1) %}

parents_{{ round }} as materialized (

    {{ cdp.component_parents_sql('arcs_' ~ (round - 1)) }}

),

-- two joins in two steps: one three-way join lets the optimizer pair the parents first
half_mapped_{{ round }} as materialized (

    {{ cdp.component_half_mapped_sql('arcs_' ~ (round - 1), 'parents_' ~ round) }}

),

arcs_{{ round }} as materialized (

    {{ cdp.component_arcs_sql('half_mapped_' ~ round, 'parents_' ~ round) }}

),
{% endfor -%}
{% endmacro %}

{% macro default__component_rounds(max_rounds) %}
    {%- set edges = ref('int_identity__edges') -%}
    {%- set rounds_run = namespace(last=max_rounds) -%}
    {%- if execute -%}
        {%- do cdp.create_component_round_table('arcs_0', cdp.component_arcs_0_sql(edges)) -%}
        {%- set rounds_run.last = 0 -%}
        {%- set arcs_left = namespace(n=cdp.component_round_rows('arcs_0')) -%}
        {%- for round in range(1, max_rounds + 1) if arcs_left.n > 0 -%}
            {%- set arcs = cdp.component_round_table('arcs_' ~ (round - 1)) -%}
            {%- set parents = cdp.component_round_table('parents_' ~ round) -%}
            {%- do cdp.create_component_round_table('parents_' ~ round, cdp.component_parents_sql(arcs)) -%}
            {%- do cdp.create_component_round_table('arcs_' ~ round, cdp.component_arcs_sql(
                '(' ~ cdp.component_half_mapped_sql(arcs, parents) ~ ')', parents)) -%}
            {%- set rounds_run.last = round -%}
            {%- set arcs_left.n = cdp.component_round_rows('arcs_' ~ round) -%}
        {%- endfor -%}
    {%- endif %}
arcs_0 as (select * from {{ cdp.component_round_table('arcs_0') }}),
{%- for round in range(1, max_rounds + 1) %}
{%- if round <= rounds_run.last %}
parents_{{ round }} as (select * from {{ cdp.component_round_table('parents_' ~ round) }}),
arcs_{{ round }} as (select * from {{ cdp.component_round_table('arcs_' ~ round) }}),
{%- else %}
parents_{{ round }} as (select node_id, neighbor_id as parent_id from arcs_0 where 1 = 0),
arcs_{{ round }} as (select node_id, neighbor_id from arcs_0 where 1 = 0),
{%- endif %}
{%- endfor %}
{% endmacro %}


{#- The scratch table of a round (next to the model being built). -#}
{% macro component_round_table(name) -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__' ~ name}, type='table')) }}
{%- endmacro %}

{% macro create_component_round_table(name, sql) %}
    {%- set relation = cdp.component_round_table(name) -%}
    {%- do adapter.drop_relation(relation) -%}
    {%- do run_query(get_create_table_as_sql(False, relation, sql)) -%}
{% endmacro %}

{% macro component_round_rows(name) %}
    {{ return(run_query('select count(*) from ' ~ cdp.component_round_table(name)).columns[0].values()[0]) }}
{% endmacro %}


{#- Post-hook of int_identity__components: drop the scratch tables of the rounds (none on DuckDB). -#}
{% macro drop_component_round_tables() %}
    {{ return(adapter.dispatch('drop_component_round_tables', 'cdp')()) }}
{% endmacro %}

{% macro duckdb__drop_component_round_tables() %}{% endmacro %}

{% macro default__drop_component_round_tables() %}
    {%- if execute -%}
        {%- set max_rounds = var('identity_max_iterations', 30) | int -%}
        {%- set rounds = run_query('select max(rounds_to_converge) from ' ~ this).columns[0].values()[0] -%}
        {%- set rounds = max_rounds if rounds is none else rounds | int -%}
        {%- do adapter.drop_relation(cdp.component_round_table('arcs_0')) -%}
        {%- for round in range(1, rounds + 1) -%}
            {%- do adapter.drop_relation(cdp.component_round_table('parents_' ~ round)) -%}
            {%- do adapter.drop_relation(cdp.component_round_table('arcs_' ~ round)) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
