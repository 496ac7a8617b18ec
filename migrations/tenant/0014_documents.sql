-- Documents (issue 11): evidence and photographs uploaded to a case or an enforcement case.
-- The bytes live encrypted outside the database (the blob store, in this council's own folder);
-- the row holds what an auditor asks (class, who, when, size, SHA-256 of the content) and the
-- document's own key, sealed with the council's data key. The row commits after the blob is
-- durable, so no row ever names a missing blob.
CREATE TABLE documents (
    id                  uuid PRIMARY KEY,
    application_id      uuid REFERENCES applications (id),
    enforcement_case_id uuid REFERENCES enforcement_cases (id),
    CHECK (num_nonnulls(application_id, enforcement_case_id) = 1),
    -- The stage it was added at: the case, its review, its badge, or an enforcement case.
    stage               text NOT NULL CHECK (stage IN ('application', 'review', 'badge', 'enforcement')),
    class               text NOT NULL CHECK (class IN ('evidence', 'identity', 'address', 'photo', 'correspondence', 'enforcement')),
    file_name           text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 120),
    content_type        text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/heic')),
    byte_count          bigint NOT NULL CHECK (byte_count > 0),
    sha256              bytea NOT NULL CHECK (length(sha256) = 32),
    sealed_key          bytea NOT NULL,
    uploaded_by         uuid REFERENCES users (id),
    uploaded_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_application ON documents (application_id, uploaded_at) WHERE application_id IS NOT NULL;
CREATE INDEX documents_enforcement ON documents (enforcement_case_id, uploaded_at) WHERE enforcement_case_id IS NOT NULL;

-- TOTP secrets (enrolled and pending) now hold sealed bytes ("K1", key version, AES-256-GCM),
-- opened only with this council's data key; `kerb migrate` seals any written before this.
COMMENT ON COLUMN users.totp_secret IS 'sealed with the council data key';
COMMENT ON COLUMN users.totp_pending_secret IS 'sealed with the council data key';
