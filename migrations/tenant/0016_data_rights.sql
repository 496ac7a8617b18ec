-- Rectification (issue 11, item 5): each correction of a person's details, with the value it
-- replaced, why, who and when. Old values are personal data too, so erasure blanks them; the
-- audit trail (which is never rewritten) records which fields changed and why, not the values.
CREATE TABLE rectifications (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id uuid NOT NULL REFERENCES people (id),
    field     text NOT NULL CHECK (field IN ('full_name', 'date_of_birth', 'nino', 'address_line1', 'address_line2', 'town',
                                             'postcode', 'email', 'phone')),
    old_value text,
    new_value text,
    reason    text NOT NULL CHECK (length(trim(reason)) > 0),
    by_id     uuid REFERENCES users (id),
    by_name   text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rectifications_reason_length CHECK (char_length(reason) <= 1000)
);
CREATE INDEX rectifications_person ON rectifications (person_id, id);

-- Erasure and retention (issue 11, item 5): when a person's details were erased (on request, or
-- when everything of theirs passed its retention period), and when a case's or an enforcement
-- case's free text was. The rows stay, so references, counts and the audit trail still add up.
ALTER TABLE people ADD COLUMN erased_at timestamptz;
ALTER TABLE applications ADD COLUMN anonymised_at timestamptz;
ALTER TABLE enforcement_cases ADD COLUMN anonymised_at timestamptz;
