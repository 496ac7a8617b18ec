-- Blue Badge casework (issue 4), first part: the people a council deals with, applications in
-- the national scheme's terms, their timeline, notes, evidence checklist, decisions with reasons,
-- and reviews. Badges, enforcement and payments follow in their own migrations.

-- One record per applicant (or organisation) within the council.
CREATE TABLE people (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind              text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'organisation')),
    full_name         text NOT NULL CHECK (length(trim(full_name)) > 0),
    date_of_birth     date CHECK (kind = 'person' OR date_of_birth IS NULL),
    nino              text CHECK (nino ~ '^[A-Z]{2}[0-9]{6}[A-D]$'),   -- normalised, no spaces
    address_line1     text NOT NULL,
    address_line2     text NOT NULL DEFAULT '',
    town              text NOT NULL DEFAULT '',
    postcode          text NOT NULL,                                   -- normalised: upper case, one space
    email             text,
    phone             text,
    preferred_channel text NOT NULL DEFAULT 'letter' CHECK (preferred_channel IN ('letter', 'email', 'sms')),
    vulnerable        boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        uuid REFERENCES users (id)
);
-- Possible duplicates despite spelling differences: trigram similarity on the name, narrowed by
-- date of birth or postcode.
CREATE INDEX people_name_trgm ON people USING gin (lower(full_name) kerb_ext.gin_trgm_ops);
CREATE INDEX people_postcode ON people (postcode);
CREATE INDEX people_dob ON people (date_of_birth);
CREATE UNIQUE INDEX people_nino ON people (nino) WHERE nino IS NOT NULL;

-- Someone acting for a person (advocate, power of attorney, appointee, parent) and what they may do.
CREATE TABLE representatives (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    person_id      uuid NOT NULL REFERENCES people (id),
    full_name      text NOT NULL CHECK (length(trim(full_name)) > 0),
    relationship   text NOT NULL CHECK (relationship IN ('advocate', 'power-of-attorney', 'appointee', 'parent', 'other')),
    may_apply      boolean NOT NULL DEFAULT true,
    may_receive    boolean NOT NULL DEFAULT true,   -- letters and messages about the case
    may_discuss    boolean NOT NULL DEFAULT true,
    contact        text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE application_numbers;

-- An application in the national scheme's codes.
CREATE TABLE applications (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference       text NOT NULL UNIQUE,
    person_id       uuid NOT NULL REFERENCES people (id),
    kind            text NOT NULL CHECK (kind IN ('NEW', 'RENEW', 'REPLACE')),
    replace_reason  text CHECK (replace_reason IN ('LOST', 'STOLE', 'DAMAGED', 'UNDELIVER')),
    channel         text NOT NULL CHECK (channel IN ('ONLINE', 'PAPER', 'PHONE', 'INPERSON')),
    eligibility     text CHECK (eligibility IN ('PIP', 'DLA', 'AFRFCS', 'WPMS', 'BLIND',
                                                'WALKD', 'ARMS', 'CHILDBULK', 'CHILDVEHIC', 'COGNITIVE')),
    walking         jsonb,            -- WALKD details: aids, distance, time, breathlessness, pain
    status          text NOT NULL CHECK (status IN ('DRAFT', 'RECEIVED', 'AWAITING_APPLICANT', 'ASSESSED', 'APPROVED', 'REFUSED', 'WITHDRAWN')),
    team            text REFERENCES teams (name),
    assigned_to     uuid REFERENCES users (id),
    received_at     timestamptz,      -- the processing clock starts here
    assessed_by     uuid REFERENCES users (id),
    assessed_at     timestamptz,
    assessment      text,
    decided_at      timestamptz,
    national_id     text UNIQUE,      -- the national Blue Badge service's application id, when imported
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid REFERENCES users (id),
    CHECK ((kind = 'REPLACE') = (replace_reason IS NOT NULL)),
    CHECK (status = 'DRAFT' OR (received_at IS NOT NULL AND eligibility IS NOT NULL))
);
CREATE INDEX applications_person ON applications (person_id);
CREATE INDEX applications_queue ON applications (status, assigned_to, team);

-- Everything that happened to an application, in order: the case timeline.
CREATE TABLE application_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    at             timestamptz NOT NULL DEFAULT now(),
    actor_id       uuid REFERENCES users (id),
    actor          text NOT NULL,
    kind           text NOT NULL,
    detail         text NOT NULL DEFAULT ''
);
CREATE INDEX application_events_case ON application_events (application_id, id);

CREATE TABLE application_notes (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id uuid NOT NULL REFERENCES applications (id),
    author_id      uuid NOT NULL REFERENCES users (id),
    body           text NOT NULL CHECK (length(trim(body)) > 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- The evidence checklist local policy asks for: what was requested and received, and when.
CREATE TABLE evidence_items (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id uuid NOT NULL REFERENCES applications (id),
    kind           text NOT NULL,
    requested_at   timestamptz,
    received_at    timestamptz,
    UNIQUE (application_id, kind)
);

-- The processing clock stops while the council waits for the applicant (if policy says so).
CREATE TABLE clock_pauses (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    paused_at      timestamptz NOT NULL,
    resumed_at     timestamptz,
    reason         text NOT NULL
);

-- A decision with its reasons. A refusal without reasons cannot be stored, whatever the code does.
CREATE TABLE decisions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id uuid NOT NULL UNIQUE REFERENCES applications (id),
    outcome        text NOT NULL CHECK (outcome IN ('APPROVED', 'REFUSED')),
    reasons        text[] NOT NULL DEFAULT '{}',
    rationale      text NOT NULL DEFAULT '',
    review_offered boolean NOT NULL,
    decided_by     uuid NOT NULL REFERENCES users (id),
    decided_at     timestamptz NOT NULL,
    CHECK (outcome = 'APPROVED' OR (cardinality(reasons) > 0 AND length(trim(rationale)) > 0))
);

-- A review of a refusal, with its own clock in working days.
CREATE TABLE reviews (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id uuid NOT NULL REFERENCES applications (id),
    requested_at   timestamptz NOT NULL,
    due_on         date NOT NULL,
    status         text NOT NULL CHECK (status IN ('OPEN', 'UPHELD', 'OVERTURNED')),
    rationale      text,
    decided_by     uuid REFERENCES users (id),
    decided_at     timestamptz,
    CHECK (status = 'OPEN' OR (decided_at IS NOT NULL AND length(trim(coalesce(rationale, ''))) > 0))
);

-- Letters: rendered from the council's templates (its own wording in `letter_templates`, else
-- Kerb's defaults) and recorded on the case exactly as sent, so they can be printed again and
-- shown to an auditor. Delivery (GOV.UK Notify, print) records against the same row later.
CREATE TABLE letter_templates (
    kind       text PRIMARY KEY,
    body       text NOT NULL CHECK (length(trim(body)) > 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid REFERENCES users (id)
);

CREATE TABLE letters (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id uuid NOT NULL REFERENCES applications (id),
    kind           text NOT NULL,
    body           text NOT NULL,
    channel        text NOT NULL CHECK (channel IN ('letter', 'email', 'sms')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     uuid REFERENCES users (id)
);
CREATE INDEX letters_case ON letters (application_id, created_at);
