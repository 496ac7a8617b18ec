-- Anchors of each tenant's audit trail, kept outside the tenant's schema: how many rows the
-- chain had and the hash of its last row, when `kerb audit anchor` last looked. A tenant's owner
-- role (or anyone who can rewrite the trail) can re-chain it consistently, but cannot change
-- what was anchored here, so `kerb audit verify` catches a rewrite by the row count or the head.
-- Written only by kerb_admin (the operators' CLI); kerb_app gets no privilege on it, so neither
-- a request nor `kerb serve`'s scheduled work can move an anchor.

CREATE TABLE kerb_control.audit_anchors (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schema_name text NOT NULL,
    row_count   bigint NOT NULL CHECK (row_count >= 0),
    head_hash   bytea CHECK ((row_count = 0) = (head_hash IS NULL)),
    anchored_at timestamptz NOT NULL DEFAULT now(),
    anchored_by text NOT NULL
);
CREATE INDEX audit_anchors_latest ON kerb_control.audit_anchors (schema_name, id DESC);
REVOKE ALL ON kerb_control.audit_anchors FROM PUBLIC;
