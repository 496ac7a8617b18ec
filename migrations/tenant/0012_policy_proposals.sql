-- A local policy change that weakens sign-in protection (switching off two-factor
-- authentication, or switching off second-administrator approval of access changes) waits here
-- until a different administrator approves it (issue 9, item 14). Nothing else can apply it.
CREATE TABLE policy_proposals (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document         jsonb NOT NULL,
    reason           text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 1000),
    weakens          text[] NOT NULL,
    proposed_by      uuid NOT NULL,
    proposed_by_name text NOT NULL,
    proposed_at      timestamptz NOT NULL DEFAULT now(),
    decided_by       uuid,
    decided_by_name  text,
    decided_at       timestamptz,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    CHECK (decided_by IS NULL OR decided_by <> proposed_by)
);
CREATE INDEX policy_proposals_pending ON policy_proposals (proposed_at) WHERE status = 'pending';
