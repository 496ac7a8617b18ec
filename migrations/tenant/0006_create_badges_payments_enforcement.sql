-- Blue Badge casework (issue 4), second part: badges and their lifecycle in the national
-- scheme's codes, payments of the badge fee, and enforcement of misuse. The statutory limits
-- are CHECKs, so no code path (or hand-written SQL) can store a badge the scheme forbids.

-- The badge a renewal or replacement application is about.
ALTER TABLE applications ADD COLUMN existing_badge text;

-- A badge, numbered by the national Blue Badge service: six characters, the sequence written in
-- base 20 with the digits 0-9 and the letters A-H, J, K (no I).
CREATE TABLE badges (
    badge_number       text PRIMARY KEY CHECK (badge_number ~ '^[0-9A-HJK]{6}$'),
    application_id     uuid UNIQUE REFERENCES applications (id),
    person_id          uuid NOT NULL REFERENCES people (id),
    eligibility        text NOT NULL,
    start_date         date NOT NULL,
    expiry_date        date NOT NULL,
    deliver_to         text NOT NULL CHECK (deliver_to IN ('HOME', 'COUNCIL')),
    delivery_option    text NOT NULL DEFAULT 'STAND' CHECK (delivery_option IN ('STAND', 'FAST')),
    status             text NOT NULL CHECK (status IN ('ORDERED', 'ISSUED', 'CANCELLED', 'REPLACED')),
    cancel_reason      text CHECK (cancel_reason IN ('DECEASE', 'NOLONG', 'REVOKE', 'LOST', 'STOLE', 'DAMAGED', 'UNDELIVER')),
    replace_reason     text CHECK (replace_reason IN ('LOST', 'STOLE', 'DAMAGED', 'UNDELIVER')),
    replaces           text REFERENCES badges (badge_number),
    ordered_at         timestamptz NOT NULL,
    ordered_by         uuid REFERENCES users (id),
    issued_at          timestamptz,
    ended_at           timestamptz,
    renewal_invited_at timestamptz,
    -- Statutory: a badge lasts at most three years (the national service's rule, inclusive).
    CHECK (expiry_date >= start_date AND expiry_date <= start_date + interval '3 years'),
    -- The national service refuses fast-track delivery to the council.
    CHECK (NOT (deliver_to = 'COUNCIL' AND delivery_option = 'FAST')),
    CHECK ((status = 'CANCELLED') = (cancel_reason IS NOT NULL)),
    CHECK ((status = 'REPLACED') = (replace_reason IS NOT NULL))
);
CREATE INDEX badges_person ON badges (person_id);
-- Renewal invitations and "expiring soon" read live badges by expiry.
CREATE INDEX badges_live_expiry ON badges (expiry_date) WHERE status IN ('ORDERED', 'ISSUED');

-- The badge fee. GOV.UK Pay payments made from Kerb, or a payment the national online form
-- took before the application reached the council (its reference is kept).
CREATE TABLE payments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id uuid NOT NULL REFERENCES applications (id),
    provider       text NOT NULL CHECK (provider IN ('GOVUKPAY', 'NATIONAL')),
    provider_id    text,
    reference      text NOT NULL,
    amount_pence   integer NOT NULL CHECK (amount_pence > 0),
    status         text NOT NULL CHECK (status IN ('created', 'started', 'submitted', 'capturable', 'success', 'failed', 'cancelled', 'error')),
    failure_code   text,
    next_url       text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    created_by     uuid REFERENCES users (id),
    UNIQUE (provider, provider_id)
);
CREATE INDEX payments_case ON payments (application_id, created_at);

CREATE SEQUENCE enforcement_numbers;

-- A report of a badge being misused, its investigation and outcome. The badge number is kept
-- as reported (it may be forged or another council's); `badge` links it when it is ours.
CREATE TABLE enforcement_cases (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference            text NOT NULL UNIQUE,
    reported_badge       text NOT NULL,
    badge                text REFERENCES badges (badge_number),
    person_id            uuid REFERENCES people (id),
    reported_at          timestamptz NOT NULL,
    reported_by          text NOT NULL CHECK (length(trim(reported_by)) > 0),
    location             text NOT NULL CHECK (length(trim(location)) > 0),
    vehicle_registration text NOT NULL DEFAULT '',
    observation          text NOT NULL CHECK (length(trim(observation)) > 0),
    status               text NOT NULL CHECK (status IN ('OPEN', 'INVESTIGATING', 'CLOSED')),
    assigned_to          uuid REFERENCES users (id),
    outcome              text CHECK (outcome IN ('NO_ACTION', 'WARNING', 'CONFISCATION', 'CANCELLATION', 'PROSECUTION')),
    outcome_rationale    text,
    closed_at            timestamptz,
    closed_by            uuid REFERENCES users (id),
    created_by           uuid REFERENCES users (id),
    -- A closed case always says what was done and why.
    CHECK (status <> 'CLOSED' OR (outcome IS NOT NULL AND length(trim(coalesce(outcome_rationale, ''))) > 0 AND closed_at IS NOT NULL))
);
CREATE INDEX enforcement_badge ON enforcement_cases (reported_badge);
CREATE INDEX enforcement_open ON enforcement_cases (status) WHERE status <> 'CLOSED';

-- What was seen and kept: descriptions now; the files themselves come with the documents service.
CREATE TABLE enforcement_evidence (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id     uuid NOT NULL REFERENCES enforcement_cases (id),
    description text NOT NULL CHECK (length(trim(description)) > 0),
    captured_at timestamptz NOT NULL,
    added_by    uuid REFERENCES users (id),
    added_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enforcement_events (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id  uuid NOT NULL REFERENCES enforcement_cases (id),
    at       timestamptz NOT NULL DEFAULT now(),
    actor_id uuid REFERENCES users (id),
    actor    text NOT NULL,
    kind     text NOT NULL,
    detail   text NOT NULL DEFAULT ''
);
CREATE INDEX enforcement_events_case ON enforcement_events (case_id, id);

-- Search by name at national volume (100,000 cases): the trigram index on people covers fuzzy
-- names; badge numbers and references are primary or unique keys.
CREATE INDEX applications_received ON applications (received_at DESC) WHERE status <> 'DRAFT';

-- An order in flight to the national service. Written and committed before the call, so a
-- second click cannot order a second badge, and a crash between the national service's answer
-- and our record leaves a visible trace (reconciled by the application reference, which the
-- national register keeps as `localAuthorityRef`).
CREATE TABLE badge_orders (
    application_id uuid PRIMARY KEY REFERENCES applications (id),
    started_at     timestamptz NOT NULL,
    started_by     uuid REFERENCES users (id),
    badge_number   text
);
