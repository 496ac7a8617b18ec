-- Communications (issue 12). A council's own wording for each kind of message and channel, in
-- GOV.UK Notify's syntax, kept as versions (each save a new row, never an update, so the wording
-- of any message sent can be shown again); a NULL body is a return to Kerb's default.
CREATE TABLE message_templates (
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z-]{1,39}$'),
    channel    text NOT NULL CHECK (channel IN ('letter', 'email', 'sms')),
    version    integer NOT NULL CHECK (version > 0),
    subject    text NOT NULL DEFAULT '',
    body       text CHECK (length(trim(body)) > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES users (id),
    PRIMARY KEY (kind, channel, version),
    CONSTRAINT message_templates_subject_length CHECK (char_length(subject) <= 200),
    CONSTRAINT message_templates_body_length CHECK (char_length(body) <= 20000)
);
-- The Mustache wording councils kept before (letter_templates) does not carry over: Notify's
-- syntax has no `{{^…}}`; the table stays, unread, until a later migration drops it.

-- A mail merge: one template to a selection of people, previewed, then enqueued in batches.
-- `messages_bulk_once` below is what makes a resumed run send each person one message.
CREATE TABLE bulk_sends (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind         text NOT NULL,
    selection    text NOT NULL CHECK (selection ~ '^[a-z][a-z-]{1,39}$'),
    state        text NOT NULL DEFAULT 'enqueuing' CHECK (state IN ('enqueuing', 'sending', 'done', 'cancelled')),
    total        integer NOT NULL CHECK (total >= 0),
    teams        text[],                      -- the sender's teams when confined to them, else NULL
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid REFERENCES users (id),
    cancelled_at timestamptz
);

-- Every letter, email and text message, written in the same transaction as the step that causes
-- it (the outbox), then sent by a dispatcher. `letters` held rendered letters already; it becomes
-- the outbox. Rows from before are `held`: recorded, never sent.
--   queued   waiting for the dispatcher (next_attempt_at)
--   sending  claimed (claimed_until); if the claim lapses, the next dispatcher asks Notify by
--            reference whether the send arrived before sending again
--   sent     Notify has it (notify_id); delivery is read back until it is final
--   delivered / failed   final; failed carries the reason (last_error)
--   held     waiting for a person: print and post it (no address Kerb can send to)
--   cancelled  a bulk send stopped before this one went
ALTER TABLE letters RENAME TO messages;
ALTER INDEX letters_case RENAME TO messages_case;
ALTER TABLE messages RENAME CONSTRAINT letters_pkey TO messages_pkey;
ALTER TABLE messages
    ALTER COLUMN application_id DROP NOT NULL,
    ADD COLUMN person_id uuid REFERENCES people (id),
    ADD COLUMN user_id uuid REFERENCES users (id),
    ADD COLUMN bulk_id uuid REFERENCES bulk_sends (id),
    ADD COLUMN template_version integer NOT NULL DEFAULT 0 CHECK (template_version >= 0),
    ADD COLUMN subject text NOT NULL DEFAULT '' CHECK (char_length(subject) <= 400),
    ADD COLUMN addressee text NOT NULL DEFAULT '' CHECK (char_length(addressee) <= 200),
    ADD COLUMN recipient text NOT NULL DEFAULT '' CHECK (char_length(recipient) <= 1600),
    ADD COLUMN state text NOT NULL DEFAULT 'held'
        CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'held', 'cancelled')),
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN notify_id uuid,
    ADD COLUMN notify_status text CHECK (char_length(notify_status) <= 40),
    ADD COLUMN last_error text CHECK (char_length(last_error) <= 400),
    ADD COLUMN sent_at timestamptz,
    ADD COLUMN completed_at timestamptz,
    ADD CONSTRAINT messages_body_length CHECK (char_length(body) <= 40000),
    ADD CONSTRAINT messages_about CHECK (application_id IS NOT NULL OR person_id IS NOT NULL OR user_id IS NOT NULL);
ALTER TABLE messages ALTER COLUMN state SET DEFAULT 'queued', ALTER COLUMN next_attempt_at SET DEFAULT now();
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX messages_tracking ON messages (sent_at) WHERE state = 'sent';
CREATE INDEX messages_to_act_on ON messages (created_at) WHERE state IN ('failed', 'held');
CREATE INDEX messages_person ON messages (person_id, created_at);
CREATE UNIQUE INDEX messages_bulk_once ON messages (bulk_id, person_id) WHERE bulk_id IS NOT NULL;
