-- A council's full exports (issue 11, item 6): where each was written, the SHA-256 of its
-- manifest, and the last audit entry it includes (every change to a council is audited, so an
-- export "newer than the council's last change" is one whose audit position is still the
-- latest). Verification against the live data is recorded here; offboarding needs one.
CREATE TABLE kerb_control.tenant_exports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES kerb_control.tenants (id),
    folder          text NOT NULL,
    manifest_sha256 text NOT NULL CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
    audit_seq       bigint NOT NULL,
    exported_at     timestamptz NOT NULL DEFAULT now(),
    exported_by     text NOT NULL,
    verified_at     timestamptz,
    verified_by     text
);
CREATE INDEX tenant_exports_tenant ON kerb_control.tenant_exports (tenant_id, id DESC);

-- The supplier's certificate that a council's data was deleted at offboarding: what went (its
-- schema and roles, its documents, its data key) and which verified export the council holds.
-- No personal data: counts, names of the supplier's own objects, hashes.
CREATE TABLE kerb_control.deletion_certificates (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          uuid NOT NULL UNIQUE REFERENCES kerb_control.tenants (id),
    export_id          bigint NOT NULL REFERENCES kerb_control.tenant_exports (id),
    issued_at          timestamptz NOT NULL DEFAULT now(),
    issued_by          text NOT NULL,
    certificate        text NOT NULL
);
REVOKE ALL ON kerb_control.tenant_exports, kerb_control.deletion_certificates FROM PUBLIC;
