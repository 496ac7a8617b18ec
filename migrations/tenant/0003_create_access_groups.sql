-- Access groups (seed 001 rec 6 and 10): named sets of permissions, several per user (union),
-- optionally confined to the member's teams; membership changes may need a second admin's
-- approval (local policy access_changes_need_second_admin).

CREATE TABLE teams (
    name       text PRIMARY KEY CHECK (length(trim(name)) > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_teams (
    user_id uuid NOT NULL REFERENCES users (id),
    team    text NOT NULL REFERENCES teams (name),
    PRIMARY KEY (user_id, team)
);

CREATE TABLE access_groups (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name           text NOT NULL CHECK (length(trim(name)) > 0),
    description    text NOT NULL DEFAULT '',
    permissions    text[] NOT NULL,
    own_teams_only boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX access_groups_name ON access_groups (lower(name));

-- A membership is requested, then active once approved (by someone other than the requester
-- when policy says so), and later revoked; rows are kept as the history of who had what.
CREATE TABLE group_memberships (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id),
    group_id     uuid NOT NULL REFERENCES access_groups (id),
    status       text NOT NULL CHECK (status IN ('pending', 'active', 'revoked', 'rejected')),
    requested_by uuid REFERENCES users (id),
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_by   uuid REFERENCES users (id),
    decided_at   timestamptz,
    CHECK (status = 'pending' OR decided_at IS NOT NULL)
);
CREATE UNIQUE INDEX group_memberships_current ON group_memberships (user_id, group_id) WHERE status IN ('pending', 'active');
