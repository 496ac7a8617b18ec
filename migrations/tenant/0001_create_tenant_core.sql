-- The core of every tenant schema. Runs as the tenant's own role with search_path set to the
-- tenant schema, so every object lands in that schema and is owned by that role.

-- The authority's public profile: what letters, pages and the API show about the council.
CREATE TABLE profile (
    id            smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    authority     text NOT NULL,
    display_name  text NOT NULL,
    nation        text NOT NULL,
    band          char(1) NOT NULL,
    contact_email text,
    contact_phone text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One person, one account (seed 001 rec 6): never shared or generic.
CREATE TABLE users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email      text NOT NULL,
    full_name  text NOT NULL CHECK (length(trim(full_name)) > 0),
    status     text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'active', 'disabled')),
    is_admin   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- One-time set-up links: only a SHA-256 of the token is kept, so a database read cannot sign in.
CREATE TABLE setup_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);

-- Local policy, versioned: version 1 is policies/default.yaml (within the nation's guardrails), as JSON.
CREATE TABLE policy_versions (
    version    integer PRIMARY KEY CHECK (version > 0),
    document   jsonb NOT NULL,
    reason     text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
