-- Cleaning between consecutive patients (AORN end-of-procedure cleaning; domain-standards 3.3): one row per pair of
-- consecutive occupancies of a room on one local day by different patients, with the cleaning events logged between
-- the first patient out and the next patient in. Occupancies with an impossible timeline are left out.
with occupancies as (
    select
        clinic_id, room_id, procedure_id, patient_id, patient_in_at, patient_out_at,
        cast(patient_in_at_local as date) as occupancy_date
    from {{ ref('stg_backoffice__procedures') }}
    where status in ('completed', 'aborted')
      and patient_in_at is not null
      and patient_out_at is not null
      and patient_out_at >= patient_in_at
),

events as (
    select clinic_id, room_id, event_type, occurred_at, cast(occurred_at as date) as occurred_on
    from {{ ref('stg_backoffice__room_events') }}
    where event_type in ('cleaning_start', 'cleaning_end', 'terminal_clean_start', 'terminal_clean_end')
),

-- One CTE feeds the next, none is read twice: DuckDB then pushes a filter on (clinic_id, room_id, occupancy_date),
-- the window's partition, down to the procedures (fct_sterility_checks recomputes a few days); a CTE read twice is
-- materialized in full first.
turnovers as (
    select * from (
        select
            *,
            lead(procedure_id) over day_order as next_procedure_id,
            lead(patient_id) over day_order as next_patient_id,
            lead(patient_in_at) over day_order as next_patient_in_at
        from occupancies
        window day_order as (partition by clinic_id, room_id, occupancy_date order by patient_in_at, procedure_id)
    )
    where next_procedure_id is not null
      and next_patient_id is distinct from patient_id
),

-- The events between patient out and next patient in, matched by UTC day first so that DuckDB can hash the join
-- (a turnover spans one or two UTC days; one that ends before it starts spans none: a NULL day, matching nothing).
turnover_days as (
    select
        *,
        cast(unnest(coalesce(nullif(generate_series(cast(patient_out_at as date), cast(next_patient_in_at as date),
                                                    interval 1 day), []), [null])) as date) as utc_day
    from turnovers
),

cleanings as (
    select
        t.clinic_id, t.room_id, t.occupancy_date, t.procedure_id, t.patient_out_at, t.next_procedure_id,
        t.next_patient_id, t.next_patient_in_at, count(e.occurred_at) as cleaning_events
    from turnover_days t
    left join events e
        on e.clinic_id = t.clinic_id
       and e.room_id = t.room_id
       and e.occurred_on = t.utc_day
       and e.occurred_at between t.patient_out_at and t.next_patient_in_at
    group by all
)

select
    clinic_id,
    room_id,
    occupancy_date,
    procedure_id,
    patient_out_at,
    next_procedure_id,
    next_patient_id,
    next_patient_in_at,
    cleaning_events,
    cleaning_events > 0 as is_compliant
from cleanings
