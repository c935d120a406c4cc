-- Every performed test or procedure checked against the performer's competency, sign-off and certifications that day
-- (domain-standards 4). One row per performance x rule:
--   supervised_until_signed_off  - a procedure skill performed before sign-off must be supervised;
--   performer_competency_current - a test, or a signed-off procedure skill performed without a supervisor, needs the
--                                  competency current or due that day (not overdue / never assessed);
--   performer_certification_current - one row per certification the performer's role requires: valid that day.
{{ competency_checks() }}
