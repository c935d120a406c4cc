-- Terminal cleaning (AORN: at the end of each day the room is used; domain-standards 3.3): one row per room x local
-- day the room was used, with the terminal-clean events logged after its last use, no later than
-- terminal_clean_grace_hours after midnight and before the room's next use. A room is used by a procedure (patient
-- in -> out), by an encounter in an exam room (exam room in -> out) and, for the clinic's lab room(s), by an in-house
-- test resulted that day (lab specimens carry no room of their own).
{{ sterility_room_days() }}
