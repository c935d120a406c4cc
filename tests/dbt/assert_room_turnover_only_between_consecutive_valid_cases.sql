-- AACD turnover (domain-standards 2.1) exists only from a valid case to the next case of the same room and day:
-- never for a flagged case, never for the day's last case, never negative, never above turnover_max_minutes,
-- and the next case must be the following one in the day's sequence. Rows returned are violations. With
-- var data_test_recent_days (a production incremental run), the last days only (macro recent_days).
select o.clinic_id, o.procedure_id, o.turnover_to_next_min
from {{ recent_days(ref('fct_room_occupancy')) }} o
left join {{ recent_days(ref('fct_room_occupancy')) }} n
    on n.clinic_id = o.clinic_id and n.procedure_id = o.next_procedure_id
where o.turnover_to_next_min is not null
  and (o.has_timeline_error
       or o.is_last_case_of_day
       or o.turnover_to_next_min < 0
       or o.turnover_to_next_min > {{ var('turnover_max_minutes') }}
       or n.procedure_id is null
       or n.has_timeline_error
       or n.room_id <> o.room_id
       or n.occupancy_date <> o.occupancy_date
       or n.case_number_of_day <> o.case_number_of_day + 1)
