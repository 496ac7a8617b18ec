-- Per-council backups (issue 13): each backup as taken, each verification by restore, each
-- restore. A backup is complete only once its files are written, fsync'd and renamed into place
-- (completed_at and the manifest's SHA-256 are set together, after that); a row without them is
-- an attempt that did not finish and is never listed as a backup.
CREATE TABLE kerb_control.backups (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES kerb_control.tenants (id),
    folder          text NOT NULL,
    taken_by        text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    manifest_sha256 text CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
    bytes           bigint,
    tables          integer,
    rows            bigint,
    documents       integer,
    -- Set when the retention rule removed its files.
    pruned_at       timestamptz,
    CHECK ((completed_at IS NULL) = (manifest_sha256 IS NULL))
);
CREATE INDEX backups_tenant ON kerb_control.backups (tenant_id, started_at DESC);

-- The evidence an auditor asks for: the backup was restored and its content checked.
CREATE TABLE kerb_control.backup_verifications (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    backup_id   uuid NOT NULL REFERENCES kerb_control.backups (id),
    tenant_id   uuid NOT NULL REFERENCES kerb_control.tenants (id),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    verified_by text NOT NULL,
    passed      boolean NOT NULL,
    tables      integer NOT NULL DEFAULT 0,
    rows        bigint NOT NULL DEFAULT 0,
    documents   integer NOT NULL DEFAULT 0,
    mismatches  text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX backup_verifications_tenant ON kerb_control.backup_verifications (tenant_id, finished_at DESC);

-- A council put back to a backup: the schema it replaced is kept until someone confirms.
CREATE TABLE kerb_control.backup_restores (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES kerb_control.tenants (id),
    backup_id    uuid NOT NULL REFERENCES kerb_control.backups (id),
    kept_schema  text NOT NULL UNIQUE,
    restored_at  timestamptz NOT NULL DEFAULT now(),
    restored_by  text NOT NULL,
    confirmed_at timestamptz,
    confirmed_by text
);
REVOKE ALL ON kerb_control.backups, kerb_control.backup_verifications, kerb_control.backup_restores FROM PUBLIC;

-- A council's own backups and their verifications, for its administrators' page. Read inside
-- the council's transaction, as its request role: the view compares that role with each row's
-- council, so a council's pages can only ever see its own rows, whatever the query asks. The
-- views live in a schema of their own, the one thing outside its schema a council role may
-- read; the control plane stays closed to it.
CREATE SCHEMA kerb_council;
CREATE VIEW kerb_council.backups WITH (security_barrier) AS
SELECT b.id, b.started_at, b.completed_at, b.taken_by, b.bytes, b.tables, b.rows, b.documents, b.pruned_at
FROM kerb_control.backups b JOIN kerb_control.tenants t ON t.id = b.tenant_id
WHERE current_user = 'kerb_r_' || substr(t.schema_name, 3) AND b.completed_at IS NOT NULL;

CREATE VIEW kerb_council.backup_verifications WITH (security_barrier) AS
SELECT v.id, v.backup_id, v.started_at, v.finished_at, v.verified_by, v.passed, v.tables, v.rows, v.documents, v.mismatches
FROM kerb_control.backup_verifications v JOIN kerb_control.tenants t ON t.id = v.tenant_id
WHERE current_user = 'kerb_r_' || substr(t.schema_name, 3);

GRANT USAGE ON SCHEMA kerb_council TO PUBLIC;
GRANT SELECT ON kerb_council.backups, kerb_council.backup_verifications TO PUBLIC;

-- Supplier operations' view: each council's last complete backup and last verification.
-- Operational metadata only (no personal data): the web login reads it for the ops console and
-- for /metrics.
CREATE VIEW kerb_control.backup_status AS
SELECT t.id AS tenant_id, t.slug, t.display_name, t.status,
       (SELECT max(b.completed_at) FROM kerb_control.backups b WHERE b.tenant_id = t.id) AS last_backup_at,
       (SELECT max(v.finished_at) FROM kerb_control.backup_verifications v WHERE v.tenant_id = t.id AND v.passed) AS last_verified_at,
       (SELECT v.passed FROM kerb_control.backup_verifications v WHERE v.tenant_id = t.id ORDER BY v.finished_at DESC LIMIT 1) AS last_passed
FROM kerb_control.tenants t WHERE t.status <> 'offboarded';
GRANT SELECT ON kerb_control.backup_status TO kerb_app;

-- The daily schedule's claims (`kerb backup schedule`): one claim per council per day, so any
-- number of schedulers share the work without doing a council twice. A claim not done within
-- two hours (its scheduler died) may be taken again.
CREATE TABLE kerb_control.backup_schedule (
    tenant_id  uuid PRIMARY KEY REFERENCES kerb_control.tenants (id),
    day        date NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    claimed_by text NOT NULL,
    done_at    timestamptz
);
REVOKE ALL ON kerb_control.backup_schedule FROM PUBLIC;
