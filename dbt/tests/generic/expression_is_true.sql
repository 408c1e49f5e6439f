{#-
    Fails for every row where `expression` is not true (false or NULL).
    Arguments: expression (SQL over the model's columns); condition (optional SQL filter,
    default `1=1`: only rows meeting it are checked). Works on a model or on a column
    (the column is not used; write it in the expression).

        data_tests:
          - expression_is_true:
              arguments:
                expression: "promoters + passives + detractors = responses"
                condition: "responses > 0"
-#}
{% test expression_is_true(model, expression, condition='1=1', column_name=none) %}

select *
from {{ model }}
where ({{ condition }})
  and not coalesce(({{ expression }}), false)

{% endtest %}
