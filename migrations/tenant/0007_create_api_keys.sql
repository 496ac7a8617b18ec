-- API keys for a council's integrations (issue 4): each key acts as an integration identity in
-- `users` (kind 'integration', never able to sign in: no password, no sessions), so every step it
-- takes is on case timelines and the audit trail under its own name. Only a SHA-256 of the key is
-- kept; the key itself is shown once. Its permissions are the council's choice, from the same
-- list access groups use, and the policy engine decides each request as for a person.
ALTER TABLE users ADD COLUMN kind text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'integration'));

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL UNIQUE REFERENCES users (id),
    name         text NOT NULL CHECK (length(trim(name)) > 0),
    prefix       text NOT NULL UNIQUE,            -- shown in lists so people can tell keys apart
    key_hash     bytea NOT NULL UNIQUE,
    permissions  text[] NOT NULL CHECK (cardinality(permissions) > 0),
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   uuid REFERENCES users (id)
);
