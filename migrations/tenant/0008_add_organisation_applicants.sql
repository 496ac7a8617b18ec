-- Organisations as applicants (issue 4): a care home or transport charity applies for a badge for
-- the vehicles it uses to carry disabled people. An organisation has no date of birth and no
-- personal eligibility criterion, so the rule "a received application has its eligibility" now
-- holds for people only; the application records which it is, so the database still enforces it.
ALTER TABLE applications ADD COLUMN for_organisation boolean NOT NULL DEFAULT false;

DO $$
DECLARE
    old text;
BEGIN
    SELECT conname INTO old FROM pg_constraint
    WHERE conrelid = 'applications'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%eligibility IS NOT NULL%';
    EXECUTE format('ALTER TABLE applications DROP CONSTRAINT %I', old);
END
$$;

ALTER TABLE applications ADD CONSTRAINT applications_received_with_eligibility
    CHECK (status = 'DRAFT' OR (received_at IS NOT NULL AND (eligibility IS NOT NULL OR for_organisation)));
