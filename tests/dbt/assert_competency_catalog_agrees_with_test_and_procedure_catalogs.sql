-- The competency catalog, the lab test catalog and the procedure catalog tell one story: a test system is non-waived
-- exactly when a test it covers is non-waived (lab_test_catalog.waived), every code it covers is a known test, and
-- every procedure's competency_code is a procedure skill that covers that procedure.
with covered as (
    select c.competency_code, c.testing_complexity, trim(code) as test_code
    from {{ ref('competency_catalog') }} c, unnest(string_split(c.covers_codes, '|')) as t (code)
    where c.competency_kind = 'test_system'
),

tests as (
    select test_code, waived from {{ ref('lab_test_catalog') }}
)

select c.competency_code, 'covers unknown test ' || c.test_code as problem
from covered c
left join tests t using (test_code)
where t.test_code is null

union all

select c.competency_code, 'testing_complexity ' || c.testing_complexity || ' disagrees with lab_test_catalog.waived'
from covered c
join tests t using (test_code)
group by c.competency_code, c.testing_complexity
having (c.testing_complexity = 'non_waived') <> bool_or(not t.waived)

union all

select p.procedure_code, 'competency_code ' || p.competency_code || ' is not a procedure skill covering it'
from {{ ref('procedure_catalog') }} p
left join {{ ref('competency_catalog') }} c
    on c.competency_code = p.competency_code and c.competency_kind = 'procedure'
   and list_contains(string_split(c.covers_codes, '|'), p.procedure_code)
where p.competency_code is not null and c.competency_code is null

union all

select procedure_code, 'a procedure skill needs supervised_performances_needed >= 1'
from {{ ref('procedure_catalog') }}
where competency_code is not null and coalesce(supervised_performances_needed, 0) < 1
