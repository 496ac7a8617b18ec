-- Every casework step is audited with the fields it changed, before and after (issue 10, item 6).
-- `changes` is {"field": {"before": …, "after": …}} for the fields that differ, computed by
-- `audit_diff` from the two states the use case read in its own transaction. It is part of the
-- hashed content, so a rewritten "before" breaks the chain like any other edit. Rows without
-- changes hash exactly as before, so existing chains and anchors still verify.
ALTER TABLE audit_events ADD COLUMN changes jsonb;

CREATE OR REPLACE FUNCTION audit_canonical(e audit_events) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN e.changes IS NULL THEN
        json_build_array(e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            e.actor_id, e.actor, e.action, e.target, e.outcome, e.detail, e.request_id)::text
    ELSE
        json_build_array(e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            e.actor_id, e.actor, e.action, e.target, e.outcome, e.detail, e.request_id, e.changes)::text
    END
$$;

-- The fields of `after` that differ from `before` (a field missing on one side is null there);
-- NULL when nothing differs.
CREATE FUNCTION audit_diff(before jsonb, after jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_object_agg(key, jsonb_build_object('before', coalesce(before -> key, 'null'), 'after', coalesce(after -> key, 'null')))
    FROM (SELECT jsonb_object_keys(coalesce(before, '{}') || coalesce(after, '{}')) AS key) keys
    WHERE (before -> key) IS DISTINCT FROM (after -> key)
$$;

ALTER TABLE audit_events ADD CONSTRAINT audit_events_changes_size CHECK (octet_length(changes::text) <= 16384) NOT VALID;
