-- Non-waived testing is assessed on all six CLIA elements (42 CFR 493.1413(b)(8), 493.1451(b)(8); domain-standards 4);
-- every element the catalog names must be one the assessment export can carry (contract CLIA_ELEMENTS).
with catalog as (
    select competency_code, testing_complexity, competency_kind,
           list_transform(string_split(required_elements, '|'), lambda e: trim(e)) as elements
    from {{ ref('competency_catalog') }}
),

six as (
    select ['direct_observation', 'result_reporting', 'records_review', 'maintenance_observation', 'blind_sample',
            'problem_solving'] as clia
)

select competency_code, 'non-waived test system without all six CLIA elements' as problem
from catalog, six
where testing_complexity = 'non_waived' and not list_has_all(elements, clia)

union all

select competency_code, 'element not in the contract: ' || array_to_string(list_filter(elements,
       lambda e: not list_contains(list_append(clia, 'supervised_performance'), e)), ', ')
from catalog, six
where len(list_filter(elements, lambda e: not list_contains(list_append(clia, 'supervised_performance'), e))) > 0

union all

select competency_code, 'procedure skill not signed off by supervised_performance'
from catalog
where competency_kind = 'procedure' and elements <> ['supervised_performance']
