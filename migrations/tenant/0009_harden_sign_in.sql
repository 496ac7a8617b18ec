-- Sign-in hardening (issue 9).
--
-- The password step is throttled per email address as typed, known or not, so an address that
-- has no account waits and locks exactly as one that has (no account enumeration). Only a
-- SHA-256 of the lower-cased address is kept, so nothing anyone typed is stored.
CREATE TABLE sign_in_throttle (
    email_hash   bytea PRIMARY KEY CHECK (length(email_hash) = 32),
    failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until timestamptz,
    updated_at   timestamptz NOT NULL
);

-- Carry over any lockout in force into the new throttle.
INSERT INTO sign_in_throttle (email_hash, failures, locked_until, updated_at)
SELECT sha256(convert_to(lower(email), 'UTF8')), failed_sign_ins, locked_until, now()
FROM users WHERE failed_sign_ins > 0 OR locked_until IS NOT NULL
ON CONFLICT DO NOTHING;

-- Second-factor failures (TOTP and recovery codes) count on their own counter with their own
-- growing delay, so a correct password (which an attacker guessing codes already has) never
-- resets them. The TOTP secret being enrolled is generated and held by the server: a client
-- cannot choose its own.
ALTER TABLE users
    ADD COLUMN failed_codes        integer NOT NULL DEFAULT 0 CHECK (failed_codes >= 0),
    ADD COLUMN codes_locked_until  timestamptz,
    ADD COLUMN totp_pending_secret bytea,
    ADD COLUMN totp_pending_at     timestamptz;

-- The old per-account counters are superseded by the throttle above.
ALTER TABLE users DROP COLUMN failed_sign_ins, DROP COLUMN locked_until;

-- A disabled account keeps no live set-up link (and disabling from now on revokes them).
UPDATE setup_tokens s SET revoked_at = now()
FROM users u WHERE u.id = s.user_id AND u.status = 'disabled' AND s.used_at IS NULL AND s.revoked_at IS NULL;
