-- Who opened what (issue 11, item 3): every opening of a case (and with it the applicant's
-- record), a badge, an enforcement case, a document, and every export of someone's personal
-- data, with who, when and from where. Reads are many and must not queue behind the audit
-- chain's per-council lock, so they go to a table of their own, append-only like the trail;
-- the scheduled work seals each new stretch of it into the chain (a `views.sealed` entry holding
-- the stretch's SHA-256, computed by `ViewLog` in Kerb, not by a function here that the schema's
-- owner could replace), and `kerb audit verify` finds a sealed stretch that was rewritten or cut.
CREATE TABLE record_views (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   uuid,
    actor      text NOT NULL CHECK (length(actor) <= 200),
    kind       text NOT NULL CHECK (kind IN ('case', 'badge', 'enforcement', 'document', 'export')),
    record     text NOT NULL CHECK (length(record) BETWEEN 1 AND 200),
    -- Whose personal data it was (nil for an enforcement case, which may name nobody on file):
    -- what a subject access archive and the monitoring rules read by.
    person_id  uuid,
    client     text NOT NULL DEFAULT '' CHECK (length(client) <= 64),
    request_id text NOT NULL DEFAULT '' CHECK (length(request_id) <= 100)
);
CREATE INDEX record_views_actor ON record_views (actor_id, at);
CREATE INDEX record_views_person ON record_views (person_id, at) WHERE person_id IS NOT NULL;
-- Rows arrive in time order and are never changed: a BRIN index finds an hour's views for the
-- monitoring rules at a fraction of a b-tree's cost on every read's insert.
CREATE INDEX record_views_at ON record_views USING brin (at);
CREATE TRIGGER record_views_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON record_views
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Where the last seal stands: the newest `views.sealed` entry, found without reading the trail.
CREATE INDEX audit_events_views_sealed ON audit_events (seq DESC) WHERE action = 'views.sealed';

-- Unusual behaviour the monitoring rules found (issue 11, item 3): one row per rule, person
-- and hour, so the hourly pass can run twice without raising a flag twice. Administrators see
-- open flags and close them with a note; both are audited.
CREATE TABLE behaviour_flags (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rule        text NOT NULL CHECK (rule IN ('views-over-limit', 'views-above-usual', 'export-out-of-hours')),
    actor_id    uuid,
    actor       text NOT NULL CHECK (length(actor) <= 200),
    hour        timestamptz NOT NULL,
    observed    integer NOT NULL CHECK (observed >= 0),
    threshold   integer NOT NULL CHECK (threshold >= 0),
    raised_at   timestamptz NOT NULL DEFAULT now(),
    closed_by   uuid REFERENCES users (id),
    closed_at   timestamptz,
    closed_note text CHECK (length(closed_note) <= 1000),
    CHECK ((closed_at IS NULL) = (closed_by IS NULL)),
    UNIQUE NULLS NOT DISTINCT (rule, actor_id, hour)
);
CREATE INDEX behaviour_flags_open ON behaviour_flags (raised_at DESC) WHERE closed_at IS NULL;
