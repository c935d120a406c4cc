-- Which competency a test or procedure needs: LOINC test codes from the competency catalog's covers_codes, procedure
-- codes from the procedure catalog's competency_code (domain-standards 4). One row per competency x covered code.
with competencies as (
    select * from {{ ref('competency_catalog') }}
)

select distinct
    c.competency_code,
    c.competency_kind,
    case when c.competency_kind = 'test_system' then 'test' else 'procedure' end as covered_kind,
    trim(code.covered_code) as covered_code
from competencies c,
    unnest(string_split(c.covers_codes, '|')) as code (covered_code)
where c.competency_kind = 'test_system'

union

select c.competency_code, c.competency_kind, 'procedure', p.procedure_code
from {{ ref('procedure_catalog') }} p
join competencies c on c.competency_code = p.competency_code
