-- Credentials, sign-in state and sessions of authority accounts (issue 3). Access groups and
-- memberships come in their own migration with the pages that use them.

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

-- Signed-in sessions (seed 002 3.2.4: user session tracking). Only a SHA-256 of the cookie's
-- token is kept. `stage` is 'password' between the password and the second factor (or a forced
-- password change), 'complete' after; each step up starts a new session (rotation).
CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id),
    token_hash   bytea NOT NULL UNIQUE,
    stage        text NOT NULL CHECK (stage IN ('password', 'complete')),
    user_agent   text,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz,
    ended_reason text
);
CREATE INDEX sessions_user_open ON sessions (user_id) WHERE ended_at IS NULL;
