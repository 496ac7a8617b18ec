-- Each council's data key (and supplier operations'), wrapped by the master key, which is kept
-- outside the database (KERB_MASTER_KEY_FILE). One live version per schema; a rotated or
-- shredded version keeps its row without key material, as evidence of when it went.
-- kerb_app (the web process, which holds the master key) may read the live keys; only
-- kerb_admin (onboarding, `kerb migrate`, `kerb keys`, offboarding) writes them.
CREATE TABLE kerb_control.council_keys (
    schema_name   text NOT NULL CHECK (schema_name ~ '^[a-z][a-z0-9_]*$'),
    version       integer NOT NULL CHECK (version > 0),
    wrapped       bytea CHECK (wrapped IS NULL OR length(wrapped) = 60),
    master_key_id text NOT NULL CHECK (master_key_id ~ '^[0-9a-f]{16}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    retired_at    timestamptz,
    PRIMARY KEY (schema_name, version),
    CHECK ((retired_at IS NULL) = (wrapped IS NOT NULL))
);
CREATE UNIQUE INDEX council_keys_live ON kerb_control.council_keys (schema_name) WHERE retired_at IS NULL;
REVOKE ALL ON kerb_control.council_keys FROM PUBLIC;
GRANT SELECT (schema_name, version, wrapped) ON kerb_control.council_keys TO kerb_app;
