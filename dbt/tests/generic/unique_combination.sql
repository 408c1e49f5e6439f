{#-
    Fails for every combination of `combination_of_columns` that appears on more than one row
    (the grain test of a model keyed by several columns). Rows where a key column is NULL count
    like any other value; pair it with not_null tests when NULL keys are not allowed.

        data_tests:
          - unique_combination:
              arguments:
                combination_of_columns: [date, channel_group]
-#}
{% test unique_combination(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
