-- Credentials and sign-in state of authority accounts (issue 3). Sessions, access groups and
-- memberships come in their own migrations with the pages that use them.

ALTER TABLE users
    ADD COLUMN password_hash       text,          -- Argon2id, PHC-encoded (carries its parameters)
    ADD COLUMN password_changed_at timestamptz,
    ADD COLUMN failed_sign_ins     integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
    ADD COLUMN locked_until        timestamptz,
    ADD COLUMN totp_secret         bytea,         -- to be sealed with the tenant's data key (documents work)
    ADD COLUMN totp_enrolled_at    timestamptz,
    ADD COLUMN totp_last_step      bigint;        -- replay guard: a code's step must be later than this

-- Previous password hashes, so local policy can refuse reuse (password_history setting).
CREATE TABLE password_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_history_user ON password_history (user_id, id DESC);

-- One-time recovery codes for a lost second factor; only SHA-256 hashes are kept (the codes
-- carry 50 random bits each, so a fast hash suffices).
CREATE TABLE recovery_codes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id),
    code_hash  bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id) WHERE used_at IS NULL;

-- Every sign-in attempt and second-factor check, for lockout evidence and the admin's view.
CREATE TABLE sign_in_attempts (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid REFERENCES users (id),
    outcome text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_attempts_user ON sign_in_attempts (user_id, at);
