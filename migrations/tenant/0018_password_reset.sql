-- Self-service password reset by emailed link (issue 12): a one-time link is a `setup_tokens` row
-- too (only its SHA-256 stored), but one that resets an active account's password instead of
-- setting up an invited one; neither kind is accepted for the other.
ALTER TABLE setup_tokens ADD COLUMN purpose text NOT NULL DEFAULT 'setup' CHECK (purpose IN ('setup', 'reset'));
CREATE INDEX setup_tokens_user ON setup_tokens (user_id, created_at);
