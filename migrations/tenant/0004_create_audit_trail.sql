-- The council's audit trail: who did what, to what, and what was refused (issue 3: denials
-- audited). Tamper-evident: each row carries the SHA-256 of its predecessor's hash and its own
-- canonical content, assigned under a per-schema lock so `seq` is the chain's order. Rows are
-- never updated or deleted; `audit_verify()` recomputes the chain and names the first bad row.

CREATE TABLE audit_events (
    seq        bigint PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   uuid,                 -- the signed-in user, when there is one
    actor      text NOT NULL,        -- a label that outlives the account: name or 'anonymous'
    action     text NOT NULL,        -- e.g. 'users.invite', 'policy.change', 'access.denied'
    target     text NOT NULL DEFAULT '',
    outcome    text NOT NULL CHECK (outcome IN ('done', 'denied')),
    detail     text NOT NULL DEFAULT '',
    request_id text NOT NULL DEFAULT '',
    prev_hash  bytea,
    hash       bytea NOT NULL
);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq DESC);
CREATE INDEX audit_events_denied ON audit_events (seq DESC) WHERE outcome = 'denied';

-- One canonical text per row: a JSON array is unambiguous whatever the fields contain.
CREATE FUNCTION audit_canonical(e audit_events) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_array(e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.actor_id, e.actor, e.action, e.target, e.outcome, e.detail, e.request_id)::text
$$;

CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    last audit_events%ROWTYPE;
BEGIN
    -- Serialises writers of this schema's trail until commit, so seq and prev_hash agree.
    PERFORM pg_advisory_xact_lock(hashtext(TG_TABLE_SCHEMA || '.audit_events'));
    SELECT * INTO last FROM audit_events ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last.seq, 0) + 1;
    NEW.prev_hash := last.hash;
    NEW.hash := sha256(coalesce(NEW.prev_hash, '\x'::bytea) || convert_to(audit_canonical(NEW), 'UTF8'));
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_chain();

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The first row whose hash does not follow from its content and predecessor, or NULL if intact.
CREATE FUNCTION audit_verify() RETURNS bigint LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
DECLARE
    e audit_events%ROWTYPE;
    previous bytea;
    expected_seq bigint := 1;
BEGIN
    FOR e IN SELECT * FROM audit_events ORDER BY seq LOOP
        IF e.seq <> expected_seq
            OR e.prev_hash IS DISTINCT FROM previous
            OR e.hash <> sha256(coalesce(e.prev_hash, '\x'::bytea) || convert_to(audit_canonical(e), 'UTF8')) THEN
            RETURN e.seq;
        END IF;
        previous := e.hash;
        expected_seq := expected_seq + 1;
    END LOOP;
    RETURN NULL;
END
$$;
