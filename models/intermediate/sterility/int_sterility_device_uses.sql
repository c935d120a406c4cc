-- Every use of a semi-critical device (a procedure with a device_id, or one whose catalog entry needs an HLD device)
-- traced to the high-level disinfection cycle that reprocessed the device after its previous use: the latest cycle
-- that started after the previous use ended and ended before this use began, with a passing MEC (concentration)
-- test where the method needs one and exposure time and temperature within the instructions
-- (var hld_method_instructions; AAMI ST58 record, domain-standards 3.2). The first recorded use of a device has no
-- known previous use: it is judged on the latest cycle before it when there is one, else it is not assessable.
with procedures as (
    select * from {{ ref('stg_backoffice__procedures') }}
    where status in ('completed', 'aborted')
),

catalog as (
    select procedure_code, needs_hld_device from {{ ref('procedure_catalog') }}
),

instructions as (
    {%- for m in var('hld_method_instructions') %}
    select '{{ m.method }}' as method, {{ m.min_exposure_minutes }}::double as min_exposure_minutes,
           {{ m.max_exposure_minutes if m.max_exposure_minutes is not none else 'null' }}::double as max_exposure_minutes,
           {{ m.min_temperature_c if m.min_temperature_c is not none else 'null' }}::double as min_temperature_c,
           {{ 'true' if m.mec_required else 'false' }} as mec_required
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

cycles as (
    select * from {{ ref('stg_backoffice__disinfection_cycles') }}
),

uses as (
    select
        p.clinic_id,
        p.procedure_id,
        p.procedure_code,
        p.room_id,
        p.patient_id,
        p.performed_by,
        p.device_id,
        coalesce(p.procedure_start_at, p.patient_in_at) as used_at,
        coalesce(p.procedure_end_at, p.patient_out_at, p.procedure_start_at, p.patient_in_at) as use_ended_at,
        cast(coalesce(p.procedure_start_at_local, p.patient_in_at_local) as date) as procedure_date
    from procedures p
    left join catalog c on c.procedure_code = p.procedure_code
    where p.device_id is not null or c.needs_hld_device
),

sequenced as (
    select
        *,
        lag(procedure_id) over device_order as previous_procedure_id,
        lag(use_ended_at) over device_order as previous_use_ended_at
    from uses
    window device_order as (partition by clinic_id, device_id order by used_at, procedure_id)
),

matched as (
    select
        u.*,
        (select arg_max(c.cycle_id, c.started_at) from cycles c
          where c.clinic_id = u.clinic_id and c.device_id = u.device_id
            and c.started_at >= coalesce(u.previous_use_ended_at, timestamp '-infinity')
            and coalesce(c.ended_at, c.started_at) <= u.used_at) as cycle_id
    from sequenced u
    where u.device_id is not null
),

judged as (
    select
        m.*,
        c.method,
        c.started_at as cycle_started_at,
        c.ended_at as cycle_ended_at,
        c.exposure_minutes,
        c.temperature_c,
        c.mec_test_pass,
        i.method is not null as method_known,
        i.min_exposure_minutes,
        i.max_exposure_minutes,
        i.min_temperature_c,
        i.mec_required
    from matched m
    left join cycles c on c.clinic_id = m.clinic_id and c.cycle_id = m.cycle_id
    left join instructions i on i.method = c.method
)

select
    clinic_id, procedure_id, procedure_code, room_id, patient_id, performed_by, device_id, used_at, procedure_date,
    previous_procedure_id, previous_use_ended_at, cycle_id, method, cycle_started_at, cycle_ended_at,
    exposure_minutes, temperature_c, mec_test_pass, mec_required,
    previous_procedure_id is not null or cycle_id is not null as is_assessable,
    case
        when cycle_id is null then 'no_hld_cycle_since_previous_use'
        when not method_known then 'method_not_in_instructions'
        when exposure_minutes is null
          or exposure_minutes < min_exposure_minutes
          or exposure_minutes > coalesce(max_exposure_minutes, exposure_minutes) then 'exposure_time_outside_instructions'
        when min_temperature_c is not null and (temperature_c is null or temperature_c < min_temperature_c)
            then 'temperature_below_instructions'
        when mec_required and mec_test_pass is not true then 'mec_test_not_passed'
    end as reason
from judged

union all

-- A procedure that needs a semi-critical device but names none cannot be traced at all.
select
    clinic_id, procedure_id, procedure_code, room_id, patient_id, performed_by, device_id, used_at, procedure_date,
    null, null, null, null, null, null, null, null, null, null,
    true, 'no_device_recorded'
from sequenced
where device_id is null
