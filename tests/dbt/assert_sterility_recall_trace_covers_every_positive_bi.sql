-- Every positive BI has a recall trace that includes its own load, and every procedure flagged for using a load with
-- a positive BI is listed in that load's recall trace with its pseudonymous patient (domain-standards 3.1).
select l.clinic_id, l.load_id, 'positive BI without a recall trace' as problem
from {{ ref('fct_sterilizer_loads') }} l
left join {{ ref('fct_recall_trace') }} r
    on r.clinic_id = l.clinic_id and r.positive_load_id = l.load_id and r.load_id = l.load_id
where l.bi_result = 'positive' and r.load_id is null

union all

select e.clinic_id, e.procedure_id, 'procedure on a positive-BI load missing from the recall trace'
from {{ ref('fct_sterility_exceptions') }} e
left join {{ ref('fct_recall_trace') }} r
    on r.clinic_id = e.clinic_id and r.procedure_id = e.procedure_id and r.load_id = e.load_id
   and r.patient_id is not distinct from e.patient_id
where e.rule_code = 'critical_item_traced' and e.reason = 'load_bi_positive' and r.procedure_id is null
