-- The control plane: reference data (bands, authorities), tenants and their lifecycle,
-- supplier-ops accounts. Owned by kerb_admin; kerb_app may only read what routing needs.

CREATE TABLE kerb_control.bands (
    code        char(1) PRIMARY KEY CHECK (code IN ('A', 'B', 'C', 'D', 'E', 'F')),
    rank        smallint NOT NULL UNIQUE,
    description text NOT NULL
);

CREATE TABLE kerb_control.authorities (
    slug   text PRIMARY KEY,
    name   text NOT NULL UNIQUE,
    band   char(1) NOT NULL REFERENCES kerb_control.bands (code),
    nation text NOT NULL CHECK (nation IN ('England', 'Scotland', 'Wales', 'Northern Ireland'))
);

CREATE TABLE kerb_control.tenants (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' AND length(slug) <= 40),
    authority_slug   text NOT NULL UNIQUE REFERENCES kerb_control.authorities (slug),
    display_name     text NOT NULL,
    band             char(1) NOT NULL REFERENCES kerb_control.bands (code),
    nation           text NOT NULL,
    schema_name      text NOT NULL UNIQUE,
    role_name        text NOT NULL UNIQUE,
    status           text NOT NULL CHECK (status IN ('active', 'suspended', 'offboarded')),
    status_reason    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    activated_at     timestamptz,
    suspended_at     timestamptz,
    offboarded_at    timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Extra hostnames a council may use (e.g. bluebadge.example.gov.uk); <slug>.<base domain> is implicit.
CREATE TABLE kerb_control.tenant_hostnames (
    hostname  text PRIMARY KEY CHECK (hostname = lower(hostname)),
    tenant_id uuid NOT NULL REFERENCES kerb_control.tenants (id) ON DELETE CASCADE
);

-- Every lifecycle step, who did it and why: the supplier's evidence trail for each council.
CREATE TABLE kerb_control.tenant_events (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES kerb_control.tenants (id),
    event     text NOT NULL,
    actor     text NOT NULL,
    detail    text,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_events_tenant ON kerb_control.tenant_events (tenant_id, at);

-- Supplier operations staff. They manage tenants; they never sign in to an authority.
CREATE TABLE kerb_control.supplier_ops_accounts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email       text NOT NULL,
    full_name   text NOT NULL CHECK (length(trim(full_name)) > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);
CREATE UNIQUE INDEX supplier_ops_accounts_email ON kerb_control.supplier_ops_accounts (lower(email));

-- The router resolves tenants on every request; the app reads nothing else here.
GRANT USAGE ON SCHEMA kerb_control TO kerb_app;
GRANT SELECT ON kerb_control.tenants, kerb_control.tenant_hostnames TO kerb_app;
