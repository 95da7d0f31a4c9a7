-- Enfinito's schema: the one source of truth, embedded into the daemon at build time.
--
-- Blocks headed "-- migration: N" run in order, each in its own transaction, on any database
-- whose PRAGMA user_version is below N; user_version is then set to N. A released block is
-- never edited: a change to the schema is a new block at the end.
-- Portable SQL only (the store may move to PostgreSQL): no SQLite-only types or functions
-- outside the store module's own statements.

-- migration: 1
-- Small operational key/value facts (readiness probe, vault key id in use, ...).
CREATE TABLE meta_kv (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- migration: 2
-- Accounts (issue 3). Public ids are opaque `<prefix>_<random>` strings, never sequential.
-- Everything that belongs to a user references users(id) ON DELETE CASCADE, so deleting the
-- user row in one transaction removes all of it (privacy promise P4). Secrets (passwords,
-- session tokens, API keys, reset tokens) are stored only as hashes.
CREATE TABLE users (
  id            TEXT PRIMARY KEY,                 -- usr_...
  email         TEXT NOT NULL UNIQUE,             -- lower-cased
  name          TEXT NOT NULL,
  password_hash TEXT,                             -- Argon2id string; NULL: no password (Google only)
  role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
  status        TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'active', 'rejected', 'suspended')),
  created_at    INTEGER NOT NULL,                 -- unix seconds
  updated_at    INTEGER NOT NULL
);
CREATE INDEX users_status ON users(status, created_at);

CREATE TABLE sessions (
  id             TEXT PRIMARY KEY,                -- ses_... (shown in the export, not a secret)
  token_hash     TEXT NOT NULL UNIQUE,            -- SHA-256 hex of the cookie token
  user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at     INTEGER NOT NULL,
  last_seen_at   INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,                -- absolute timeout
  client_address TEXT NOT NULL DEFAULT '',
  method         TEXT NOT NULL DEFAULT 'password' -- password | google
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,                  -- key_...
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,                     -- first characters of the key, for display
  key_hash     TEXT NOT NULL UNIQUE,              -- SHA-256 hex of the whole key
  read_only    INTEGER NOT NULL DEFAULT 0,
  instance_ids TEXT NOT NULL DEFAULT '',          -- space-separated; empty = all of the user's
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
CREATE INDEX api_keys_user ON api_keys(user_id);

CREATE TABLE password_resets (
  token_hash TEXT PRIMARY KEY,                    -- SHA-256 hex of the emailed token
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX password_resets_user ON password_resets(user_id);

-- Who did what, when, from where. Never a secret, never an email address. Entries about a
-- user go with the user (subject_id cascades); the deletion itself is recorded with no
-- subject, naming only the opaque id that no longer resolves to anyone.
CREATE TABLE audit_log (
  id             INTEGER PRIMARY KEY,
  subject_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
  actor_id       TEXT REFERENCES users(id) ON DELETE SET NULL,
  action         TEXT NOT NULL,
  detail         TEXT NOT NULL DEFAULT '',
  client_address TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log(subject_id, id);

-- Durable mail outbox: the HTTP request commits a row, the sender loop submits it to SMTP and
-- deletes it. A user's pending mail goes with the user.
CREATE TABLE mail_outbox (
  id              INTEGER PRIMARY KEY,
  user_id         TEXT REFERENCES users(id) ON DELETE CASCADE,
  recipient       TEXT NOT NULL,
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at);

-- migration: 3
-- WhatsApp instances (issue 4): the Meta Cloud API credentials of one business phone number,
-- owned by one user. The five credentials and the webhook verify token are vault blobs
-- (AES-256-GCM, key id in the blob, AAD = ("instances", id, column name): privacy promise
-- P1); the phone number id is also kept as a keyed lookup hash for routing Meta's webhooks.
-- Only a display mask of the token (its last 4 characters) is kept in the clear. Message
-- logs and queue rows of an instance will reference instances(id) ON DELETE CASCADE, so
-- deleting an instance (or its user) removes them in the same transaction (P4).
CREATE TABLE instances (
  id                   TEXT PRIMARY KEY,          -- ins_...
  user_id              TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name                 TEXT NOT NULL,
  phone_number_id_enc  BLOB NOT NULL,
  waba_id_enc          BLOB NOT NULL,
  access_token_enc     BLOB NOT NULL,
  app_secret_enc       BLOB NOT NULL,
  app_id_enc           BLOB NOT NULL,
  verify_token_enc     BLOB NOT NULL,
  phone_number_lookup  TEXT NOT NULL UNIQUE,      -- vault lookup hash of the phone number id
  token_last4          TEXT NOT NULL,
  display_phone_number TEXT NOT NULL DEFAULT '',  -- as Meta reported it at verification
  verified_name        TEXT NOT NULL DEFAULT '',
  quality_rating       TEXT NOT NULL DEFAULT '',
  status               TEXT NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'needs_reauth', 'disabled')),
  status_reason        TEXT NOT NULL DEFAULT '',
  verified_at          INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX instances_user ON instances(user_id, id);

-- migration: 4
-- Google Sign-In (issue 3; privacy promise P3). A linked Google account keeps its subject id
-- (`sub`, the identity), email, name and picture URL, and nothing else: no Google access or
-- refresh token is ever written. One Google account per user and one user per Google account.
CREATE TABLE google_identities (
  user_id     TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
  sub         TEXT NOT NULL UNIQUE,
  email       TEXT NOT NULL DEFAULT '',
  name        TEXT NOT NULL DEFAULT '',
  picture_url TEXT NOT NULL DEFAULT '',
  linked_at   INTEGER NOT NULL
);

-- Sign-in and link flows in progress (10 minutes at most), deleted when the callback uses
-- them. The row is found by a keyed hash of `state`; the nonce and PKCE verifier are sealed
-- (AES-256-GCM) under a key derived from `state`, which only the browser holds, so a copy of
-- the database cannot complete a flow. A link flow names the signed-in user who started it.
CREATE TABLE google_flows (
  state_hash TEXT PRIMARY KEY,
  sealed     BLOB NOT NULL,
  purpose    TEXT NOT NULL CHECK (purpose IN ('sign_in', 'link')),
  user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX google_flows_expiry ON google_flows(expires_at);
CREATE INDEX google_flows_user ON google_flows(user_id);

-- migration: 5
-- The message log (outbound and inbound), the outbound send queue, idempotency keys and the
-- event log. Everything hangs off an instance and goes with it (P4); events also go with
-- their user.

-- One row per message, either direction. Outbound rows are written at accept time (202), in
-- the same transaction as their send job; inbound rows when Meta's webhook is committed.
CREATE TABLE messages (
  seq                INTEGER PRIMARY KEY,       -- insertion order: cursors, job key
  id                 TEXT NOT NULL UNIQUE,      -- msg_... (public)
  instance_id        TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  direction          TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
  peer               TEXT NOT NULL,             -- the customer: `to` (outbound) / `from` (inbound), meta::recipient_key form
  type               TEXT NOT NULL,             -- text, image, template, ... (inbound: Meta's type, kept as given)
  body               TEXT NOT NULL,             -- outbound: JSON to POST to Meta; inbound: Meta's message object
  status             TEXT NOT NULL              -- outbound: accepted|sending|sent|delivered|read|failed|dead; inbound: received
                     CHECK (status IN ('accepted', 'sending', 'sent', 'delivered', 'read',
                                       'failed', 'dead', 'received')),
  wamid              TEXT,                      -- Meta's id (outbound: once Meta answered)
  error_code         INTEGER,                   -- the last Graph error code (sync or from a status webhook)
  error_title        TEXT,                      -- its short title, never Meta's free-text details
  attempts           INTEGER NOT NULL DEFAULT 0,
  possible_duplicate INTEGER NOT NULL DEFAULT 0, -- a send may have reached Meta before a crash; resent once
  api_key_id         TEXT,                      -- outbound: the key that sent it (NULL: a session)
  created_at         INTEGER NOT NULL,          -- unix ms
  updated_at         INTEGER NOT NULL           -- unix ms
);
CREATE UNIQUE INDEX messages_wamid ON messages (instance_id, wamid) WHERE wamid IS NOT NULL;
CREATE INDEX messages_log ON messages (instance_id, seq);

-- The outbound queue: one row per unresolved outbound message; deleted when it resolves
-- (sent, failed, dead), so the due-scan stays small however long the log grows. `sending`
-- rows carry a lease: a row whose lease expired belongs to nobody (a crashed daemon) and is
-- sent again, flagged possible_duplicate.
CREATE TABLE send_jobs (
  message_seq      INTEGER PRIMARY KEY REFERENCES messages(seq) ON DELETE CASCADE,
  instance_id      TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  peer             TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('queued', 'sending')),
  next_attempt_at  INTEGER NOT NULL,            -- unix ms
  lease_owner      TEXT,                        -- daemon run id while sending
  lease_expires_at INTEGER                      -- unix ms
);
CREATE INDEX send_jobs_by_instance ON send_jobs (instance_id, message_seq);

-- Idempotency-Key: the first answer to (scope, key), kept at least 24 hours. scope is the API
-- key id, or "usr:<user id>" for a session.
CREATE TABLE idempotency_keys (
  scope        TEXT NOT NULL,
  key          TEXT NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  request_hash TEXT NOT NULL,                   -- SHA-256 of method, target and body
  status       INTEGER NOT NULL,                -- the HTTP status answered
  response     TEXT NOT NULL,                   -- the body answered
  created_at   INTEGER NOT NULL,                -- unix s
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

-- Every state change the customer can observe (message accepted/sent/delivered/read/failed/
-- dead/received, instance status): the live feed and customer webhooks read from here, and
-- `GET /v1/events?after=` pages through it. AUTOINCREMENT: ids are never reused, even after
-- the newest rows are purged, so a client resuming from an id never misses or repeats one.
CREATE TABLE events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  instance_id TEXT REFERENCES instances(id) ON DELETE CASCADE,
  type        TEXT NOT NULL,                    -- message.accepted, message.sent, ..., instance.status
  data        TEXT NOT NULL,                    -- JSON object
  created_at  INTEGER NOT NULL                  -- unix ms
);
CREATE INDEX events_by_user ON events (user_id, id);
CREATE INDEX events_age ON events (created_at);

-- migration: 6
-- Inbound (issue 6). Status webhooks that the message row cannot take when they arrive:
-- - state 'pending': Meta's status for a wamid the send queue has not recorded yet (Meta can
--   answer the send and post `sent` before our commit of the wamid). Applied, in order, by
--   store::inbound::apply_pending in the same write that records the wamid; kept at most
--   retention.pending_statuses_hours, then dropped (a wamid sent by another system).
-- - state 'seen': a receipt for statuses messages.status cannot hold (`played`, statuses Meta
--   adds later), so a duplicate of one is recognised and emits no second event.
-- One row per (instance, wamid, status): the same pair arriving twice is stored once.
CREATE TABLE pending_statuses (
  instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  wamid       TEXT NOT NULL,
  status      TEXT NOT NULL,                    -- Meta's status value, as given
  state       TEXT NOT NULL CHECK (state IN ('pending', 'seen')),
  error_code  INTEGER,                          -- failed: Meta's error code
  error_title TEXT,                             -- failed: its short title
  data        TEXT NOT NULL,                    -- Meta's status object as received
  created_at  INTEGER NOT NULL,                 -- unix ms
  PRIMARY KEY (instance_id, wamid, status)
);
CREATE INDEX pending_statuses_age ON pending_statuses (created_at);
-- Updates that carry no id of their own (template status, account updates, other fields): a
-- digest of (field, entry time, value) per instance, so that Meta redelivering a POST we had
-- already committed (our 200 was lost) does not emit the same event twice. Kept as long as
-- events are.
CREATE TABLE update_receipts (
  instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  digest      TEXT NOT NULL,                    -- SHA-256 hex
  created_at  INTEGER NOT NULL,                 -- unix ms
  PRIMARY KEY (instance_id, digest)
);
CREATE INDEX update_receipts_age ON update_receipts (created_at);
-- The retention job (privacy promise P9) deletes the oldest messages first.
CREATE INDEX messages_age ON messages (created_at);

-- migration: 7
-- Customer webhooks out (issue 6). An endpoint is a customer URL that receives an instance's
-- events, signed with its own secret (sealed by the vault, AAD = webhook_endpoints, id,
-- signing_secret). `cursor` is the id of the last event the delivery engine looked at for this
-- endpoint: events after it become deliveries (one write: deliveries inserted, cursor moved),
-- so none is missed or created twice. A new endpoint starts at the newest event (no backfill).
CREATE TABLE webhook_endpoints (
  id              TEXT PRIMARY KEY,             -- whk_…
  instance_id     TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  url             TEXT NOT NULL,
  event_types     TEXT NOT NULL,                -- JSON array of event types; [] = every type
  format          TEXT NOT NULL CHECK (format IN ('enfinito', 'meta')),
  signing_secret  BLOB NOT NULL,                -- vault blob of "whsec_…"
  state           TEXT NOT NULL CHECK (state IN ('active', 'paused')),
  paused_reason   TEXT,
  failing_since   INTEGER,                      -- unix ms of the first failure of the current run
  failure_count   INTEGER NOT NULL DEFAULT 0,   -- consecutive failed attempts
  cursor          INTEGER NOT NULL DEFAULT 0,   -- last events.id considered
  created_at      INTEGER NOT NULL,             -- unix ms
  updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_instance ON webhook_endpoints (instance_id, created_at);
-- The outbox and delivery log: one row per (endpoint, event). `delivered_at` set: done.
-- `next_attempt_at` NULL and not delivered: given up (kept for the log and manual redelivery).
-- The row id is the Standard Webhooks `webhook-id` (stable across retries and redeliveries).
CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY,             -- whd_…
  endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_id        INTEGER NOT NULL,             -- events.id (the event may be purged later)
  event_type      TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,                      -- unix ms; NULL: nothing scheduled
  last_status     INTEGER,                      -- HTTP status of the last attempt (NULL: no answer)
  last_error      TEXT,                         -- our short reason (never the response body)
  last_attempt_at INTEGER,
  delivered_at    INTEGER,
  created_at      INTEGER NOT NULL,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at);
-- Meta's original webhook bodies, for endpoints with format 'meta' (passthrough): written in
-- the same store write as the events a POST produced, with the range of those event ids. A
-- 'meta' endpoint gets one delivery per payload (keyed by its first event id).
CREATE TABLE meta_payloads (
  instance_id     TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  first_event_id  INTEGER NOT NULL,
  last_event_id   INTEGER NOT NULL,
  body            BLOB NOT NULL,                -- the exact bytes Meta signed
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (instance_id, first_event_id)
);
CREATE INDEX meta_payloads_age ON meta_payloads (created_at);

-- migration: 8
-- Inbound media kept by Enfinito (issue 5). Per instance and off by default (`media_fetch`):
-- when on, an inbound image/video/audio/document/sticker message gets a row here in the same
-- write that stores the message, so a fetch survives a crash; the fetcher (api/media_inbound)
-- downloads it from Meta within its URL window into a file under media.dir (temp name, then
-- renamed) and marks it 'stored'. Files, not blobs: media run to 100 MB, which would pass
-- twice through the WAL and the writer thread, and bloat every backup.
-- `state`: 'pending' (due at next_attempt_at), 'stored' (file present, `size` bytes),
-- 'failed' (gave up; kept so the customer sees why). Deleting a row (its instance or account
-- deleted, retention) moves its file name to media_trash by trigger, so the file goes too,
-- whichever way the row went.
ALTER TABLE instances ADD COLUMN media_fetch INTEGER NOT NULL DEFAULT 0 CHECK (media_fetch IN (0, 1));
CREATE TABLE media_files (
  id              TEXT PRIMARY KEY,             -- med_…: also the file's name on disk
  instance_id     TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  media_id        TEXT NOT NULL,                -- Meta's media id, as in the webhook
  message_id      TEXT NOT NULL,                -- our msg_… of the inbound message
  mime_type       TEXT NOT NULL DEFAULT '',
  sha256          TEXT NOT NULL DEFAULT '',     -- Meta's (base64), checked after the download
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'stored', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,             -- unix ms
  last_error      TEXT,                         -- our short reason, never Meta's text
  size            INTEGER,
  created_at      INTEGER NOT NULL,             -- unix ms
  stored_at       INTEGER,
  UNIQUE (instance_id, media_id)
);
CREATE INDEX media_files_due ON media_files (next_attempt_at) WHERE state = 'pending';
CREATE INDEX media_files_age ON media_files (created_at);
-- Files whose row is gone: the fetcher removes each file, then its row here.
CREATE TABLE media_trash (
  file_id     TEXT PRIMARY KEY,
  instance_id TEXT NOT NULL                     -- the file's directory (the instance may be gone)
);
CREATE TRIGGER media_files_trash AFTER DELETE ON media_files
BEGIN
  INSERT OR IGNORE INTO media_trash (file_id, instance_id) VALUES (OLD.id, OLD.instance_id);
END;

-- migration: 9
-- The number's throughput level as Meta reports it (`throughput.level` of the phone number,
-- read when the instance is verified; raised by a phone_number_quality_update THROUGHPUT_UPGRADE
-- webhook). The send queue paces each instance at queue.rate_per_instance for STANDARD and
-- queue.rate_high_throughput for HIGH [D-TP: 80 and 1,000 messages per second].
ALTER TABLE instances ADD COLUMN throughput_level TEXT NOT NULL DEFAULT 'STANDARD';

-- migration: 10
-- Status routing by biz_opaque_callback_data (meta/graph.hpp, callback_tag_prefix). An outbound
-- message the customer sent without biz_opaque_callback_data goes to Meta with Enfinito's tag
-- there (callback_tagged = 1), and its status webhooks find the row by message id. Only the
-- other rows (inbound messages, outbound ones whose customer set the field) need their wamid
-- indexed: Meta's wamids are random, so every indexed wamid dirties a page of its own.
ALTER TABLE messages ADD COLUMN callback_tagged INTEGER NOT NULL DEFAULT 0;
DROP INDEX messages_wamid;
CREATE UNIQUE INDEX messages_wamid ON messages (instance_id, wamid) WHERE wamid IS NOT NULL AND callback_tagged = 0;

-- migration: 11
-- messages.status's CHECK as comparisons instead of IN (...). SQLite evaluates an IN list of
-- three or more values through a temporary b-tree that it builds on every INSERT, and on every
-- UPDATE of status (a pager, a page cache and eight inserts): three times per outbound message.
-- The rule is the same and the rows on disk already satisfy it, so the table's text is
-- rewritten in place (writable_schema); RESET makes this connection parse the new text. The
-- temporary table fails the migration if the old text was not found.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
  'CHECK (status IN (''accepted'', ''sending'', ''sent'', ''delivered'', ''read'',' || char(10) ||
  '                                       ''failed'', ''dead'', ''received''))',
  'CHECK (status = ''accepted'' OR status = ''sending'' OR status = ''sent'' OR status = ''delivered''' || char(10) ||
  '                            OR status = ''read'' OR status = ''failed'' OR status = ''dead'' OR status = ''received'')')
WHERE type = 'table' AND name = 'messages';
PRAGMA writable_schema = RESET;
CREATE TEMP TABLE migration_11_check (rewritten INTEGER NOT NULL CHECK (rewritten));
INSERT INTO migration_11_check SELECT instr(sql, 'status IN (') = 0 FROM sqlite_schema WHERE type = 'table' AND name = 'messages';
DROP TABLE migration_11_check;

-- migration: 12
-- Mail bodies sealed (issue 23). A password-reset mail carries a usable token, and a row the
-- sender deletes still lies in the WAL (the page as inserted) until a checkpoint overwrites it,
-- so a body may never be written in the clear. Since this migration the body is only in
-- `body_enc`, a vault blob (AES-256-GCM, AAD = ("mail_outbox", id, "body"); re-sealed by
-- `enfinitoctl rotate-key`), and `body` is ''. Rows from before: an unsent reset mail is
-- dropped (its link was on disk in the clear; the user asks for another, the token simply
-- expires), the other notices ("your account is approved") carry no secret and are sent as
-- they are. secure_delete (on for every connection) zeroes what the DELETE frees.
ALTER TABLE mail_outbox ADD COLUMN body_enc BLOB;
DELETE FROM mail_outbox WHERE body LIKE '%/reset-password#token=%';

-- migration: 13
-- The web app's views (issue 16).
-- Conversations: one per (instance, peer), read from the message log. `messages_peer` finds a
-- peer's newest message (the list) and pages one peer's messages (GET .../messages?peer=)
-- without walking the rest of the instance's log; it is the only cost this block adds to the
-- send path (one index entry per message). `conversations` holds what the log cannot answer
-- cheaply and is written only off the send path: by the inbound webhook write (profile name,
-- when the customer last wrote: the 24 h customer-service window runs from there) and by the
-- mark-read route (the local read mark: inbound messages above read_seq are unread). `direction`
-- in the index lets the unread count read the index alone.
CREATE INDEX messages_peer ON messages (instance_id, peer, seq, direction);
CREATE TABLE conversations (
  instance_id     TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  peer            TEXT NOT NULL,                -- messages.peer
  profile_name    TEXT,                         -- the customer's WhatsApp profile name, as Meta sent it
  last_inbound_at INTEGER,                      -- unix ms the customer's newest message was sent (Meta's timestamp)
  read_seq        INTEGER NOT NULL DEFAULT 0,   -- messages.seq up to which the peer's messages are read
  PRIMARY KEY (instance_id, peer)
);
-- When retention (P9) or a deletion removes a peer's last message, the conversation goes too:
-- its profile name is personal data and must not outlive the messages it came with.
CREATE TRIGGER conversations_forget AFTER DELETE ON messages
WHEN NOT EXISTS (SELECT 1 FROM messages m WHERE m.instance_id = OLD.instance_id AND m.peer = OLD.peer)
BEGIN
  DELETE FROM conversations WHERE instance_id = OLD.instance_id AND peer = OLD.peer;
END;
-- The message timeline (GET /v1/messages/{id}/timeline): send attempts that did not end in
-- `sent` (a retry, a failure, giving up), with Meta's code and our title, written in the write
-- that records that outcome (store::messages::resolve). A successful attempt writes no row: its
-- `message.sent` event already holds the wamid, so the common send path's work is unchanged.
CREATE TABLE message_attempts (
  id          INTEGER PRIMARY KEY,
  message_seq INTEGER NOT NULL REFERENCES messages(seq) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,                 -- messages.attempts when it was made
  outcome     TEXT NOT NULL CHECK (outcome = 'retry' OR outcome = 'failed' OR outcome = 'dead'),
  error_code  INTEGER,                          -- Meta's code (NULL: no answer, e.g. a timeout)
  error_title TEXT,                             -- our short title, never Meta's text
  next_attempt_at INTEGER,                      -- retry: when the next attempt is due (unix ms)
  created_at  INTEGER NOT NULL                  -- unix ms
);
CREATE INDEX message_attempts_by_message ON message_attempts (message_seq, id);

-- migration: 14
-- Data rights for every account state (issue 20): a user who cannot sign in (pending,
-- rejected, suspended, or signed up with Google and never given a password) asks for a link
-- by mail and exports or deletes their data with it. Only the token's SHA-256 is kept; a link
-- does one action, once, before `expires_at` (unix s); it goes with its user.
CREATE TABLE data_links (
  token_hash TEXT PRIMARY KEY,                    -- SHA-256 hex of the mailed token
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  action     TEXT NOT NULL CHECK (action = 'export' OR action = 'delete'),
  expires_at INTEGER NOT NULL
);
CREATE INDEX data_links_user ON data_links(user_id);
CREATE INDEX data_links_expiry ON data_links(expires_at);

-- migration: 15
-- Onboarding and webhook health (issue 19). One row per instance, written off the send path:
-- by connect and verify (what Meta said about the app's subscription to the WABA and about the
-- access token: GET /debug_token), and by the instance watch, which flushes the inbound
-- flow's in-memory webhook times at most once per onboarding.watch_interval_ms for all
-- instances together (never one write per webhook) and flags an instance whose sent messages
-- got no status webhook for inbound.silent_after_ms. `alerts_off` lists the owner-mail causes
-- the owner turned off for this instance (a JSON array).
CREATE TABLE instance_health (
  instance_id         TEXT PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
  checked_at          INTEGER,                  -- unix ms of the last onboarding check
  subscription        TEXT NOT NULL DEFAULT 'unknown',  -- unknown | subscribed | overridden | failed
  subscription_detail TEXT NOT NULL DEFAULT '', -- our words: why it failed, or why no override
  subscription_code   INTEGER,                  -- Meta's error code when it failed
  callback_override   TEXT,                     -- the callback URL Meta was given (override), if any
  token_type          TEXT NOT NULL DEFAULT '', -- SYSTEM_USER, USER, ... ('' not inspected)
  token_expires_at    INTEGER,                  -- unix s; 0: never; NULL: unknown
  token_problems      TEXT NOT NULL DEFAULT '[]', -- JSON array of {code, detail}
  last_webhook_at     INTEGER,                  -- unix ms of the newest webhook from Meta (any field)
  last_status_at      INTEGER,                  -- unix ms of the newest status webhook
  webhooks_silent     INTEGER NOT NULL DEFAULT 0,
  silent_since        INTEGER,                  -- unix ms: the oldest send still waiting for a status
  alerts_off          TEXT NOT NULL DEFAULT '[]'
);
-- Owner mails (issue 19): when a cause was last mailed for an instance, and since when it has
-- been true (a cause mails once per episode, and at most once a day).
CREATE TABLE owner_alerts (
  instance_id    TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  cause          TEXT NOT NULL,                 -- needs_reauth | token_expiring | webhooks_silent | endpoint_paused
  active_since   INTEGER,                       -- unix ms; NULL: not true now
  last_mailed_at INTEGER,                       -- unix ms
  PRIMARY KEY (instance_id, cause)
);

-- migration: 16
-- Templates whole (issue 19): a local copy of each instance's message templates (the
-- instance's WABA; two instances on one WABA each keep their own copy), kept current by the
-- template webhooks (status, quality, category) and a periodic sync, and served from here:
-- listing templates no longer calls Meta, and the pre-send checks (templates/checks.hpp) read
-- it through a per-reactor cache. `components` is Meta's JSON array as Meta sent it; NULL while
-- only a webhook has told of the template (its definition arrives with the next sync).
CREATE TABLE templates (
  instance_id      TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  name             TEXT NOT NULL,
  language         TEXT NOT NULL,
  template_id      TEXT NOT NULL,                 -- Meta's id (digits)
  status           TEXT NOT NULL,                 -- APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ...
  category         TEXT NOT NULL DEFAULT '',
  quality          TEXT NOT NULL DEFAULT '',      -- GREEN, YELLOW, RED, UNKNOWN ('' never told)
  parameter_format TEXT NOT NULL DEFAULT 'POSITIONAL',
  components       TEXT,                          -- JSON array, or NULL (not known yet)
  updated_at       INTEGER NOT NULL,              -- unix ms
  PRIMARY KEY (instance_id, name, language)
);
CREATE INDEX templates_by_meta_id ON templates (instance_id, template_id);
-- Per instance: when the copy was last replaced by a sync (NULL: never, so "not in the copy"
-- proves nothing), and since when Enfinito has received the instance's webhooks (a window
-- policy of `auto` rejects sends to closed windows only once that is 24 hours ago: before,
-- a customer may have written before Enfinito could see it).
CREATE TABLE template_copies (
  instance_id    TEXT PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
  synced_at      INTEGER,                         -- unix ms of the last complete sync
  webhooks_since INTEGER                          -- unix ms of the first webhook seen
);

-- migration: 17
-- Broadcasts and scheduled sends (issue 21). A broadcast is one template sent to many
-- recipients; each recipient is an ordinary outbound message (and send_jobs row) tagged with
-- the broadcast's id, so the log, statuses, feed and webhooks treat it as any other message.
-- The broadcast row's `state` gates its jobs: the queue loads and leases a tagged job only
-- while its broadcast is `running` (`preparing` while the accept writes its batches, then
-- `paused`, `cancelled`, `finished`), so pause, resume and cancel are one-row updates however
-- many recipients there are. `send_at` is the jobs' first due time; `expires_at` (unix ms) on a
-- job makes the queue give it up as `expired` instead of sending it late. Untagged jobs (single
-- sends) pass the gate on `broadcast_id IS NULL`: their path reads no other row.
CREATE TABLE broadcasts (
  id                TEXT PRIMARY KEY,           -- brd_...
  instance_id       TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  name              TEXT NOT NULL DEFAULT '',
  template_name     TEXT NOT NULL,
  template_language TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state = 'preparing' OR state = 'running' OR state = 'paused'
                                         OR state = 'cancelled' OR state = 'finished'),
  recipients        INTEGER NOT NULL,           -- messages created
  rejected          INTEGER NOT NULL DEFAULT 0, -- invalid rows skipped at accept (skip_invalid)
  send_at           INTEGER NOT NULL,           -- unix ms
  expires_at        INTEGER,                    -- unix ms; NULL: never
  api_key_id        TEXT,
  started_at        INTEGER,                    -- first message handed to Meta (broadcast.started)
  progress_at       INTEGER NOT NULL DEFAULT 0, -- last broadcast.progress event (rate bound)
  finished_at       INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX broadcasts_by_instance ON broadcasts (instance_id, created_at);
ALTER TABLE messages ADD COLUMN broadcast_id TEXT;
-- Partial: single sends add no index entry.
CREATE INDEX messages_by_broadcast ON messages (broadcast_id, seq) WHERE broadcast_id IS NOT NULL;
ALTER TABLE send_jobs ADD COLUMN broadcast_id TEXT;
ALTER TABLE send_jobs ADD COLUMN expires_at INTEGER;
CREATE INDEX send_jobs_by_broadcast ON send_jobs (broadcast_id) WHERE broadcast_id IS NOT NULL;
-- Three outcomes that never reach Meta: given up after expires_at, cancelled with its broadcast,
-- skipped because the recipient opted out. The CHECK is rewritten in place as in migration 11.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'OR status = ''received'')',
  'OR status = ''received''' || char(10) ||
  '                            OR status = ''expired'' OR status = ''cancelled'' OR status = ''skipped_opted_out'')')
WHERE type = 'table' AND name = 'messages';
PRAGMA writable_schema = RESET;
CREATE TEMP TABLE migration_17_check (rewritten INTEGER NOT NULL CHECK (rewritten));
INSERT INTO migration_17_check SELECT instr(sql, 'skipped_opted_out') > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'messages';
DROP TABLE migration_17_check;

-- migration: 18
-- Opt-outs (issue 21): per instance, the customers who asked not to be contacted. A row is
-- added by an inbound message that is exactly a stop keyword (optouts/keywords.hpp), in the
-- same write that stores the message, or through the API; a start keyword or the API removes
-- it. `wa_id` is messages.peer (Meta's `from`), so a send's recipient key finds it.
-- `source`: 'keyword' (with the keyword and the inbound message) or 'api' (a user).
CREATE TABLE optouts (
  instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  wa_id       TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source = 'keyword' OR source = 'api'),
  keyword     TEXT,                             -- normalised keyword (source 'keyword')
  message_id  TEXT,                             -- the inbound msg_… that said it (source 'keyword')
  created_at  INTEGER NOT NULL,                 -- unix ms
  PRIMARY KEY (instance_id, wa_id)
);
-- An instance's opt-out settings; no row: keywords on with the built-in lists, no enforcement
-- on single sends. Keyword lists are JSON arrays of normalised keywords; NULL: the built-in list.
-- `enforce`: which single sends (POST …/messages, the Graph route) to an opted-out recipient
-- are refused before anything is queued.
CREATE TABLE optout_settings (
  instance_id    TEXT PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
  enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled = 0 OR enabled = 1),
  stop_keywords  TEXT,
  start_keywords TEXT,
  enforce        TEXT NOT NULL DEFAULT 'off'
                 CHECK (enforce = 'off' OR enforce = 'marketing_templates' OR enforce = 'all_templates'),
  updated_at     INTEGER NOT NULL               -- unix ms
);

-- migration: 19
-- Policy notices (issue 20): `enfinitoctl notify-users` mails every active user a notice (the
-- privacy policy's "material changes ... by sending an email"). A notice is named by a hash
-- of its subject and body; a row here says this user's mail for it is in the outbox (committed
-- with the mail), so a second run, or a run resumed after an interruption, mails nobody twice.
-- It goes with its user.
CREATE TABLE notices_sent (
  notice_id TEXT NOT NULL,                        -- ntc_ + 32 hex of SHA-256(subject, body)
  user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  queued_at INTEGER NOT NULL,                     -- unix s
  PRIMARY KEY (notice_id, user_id)
) WITHOUT ROWID;
CREATE INDEX notices_sent_user ON notices_sent(user_id);

-- migration: 20
-- Fair shares (issue 20, P10). `tenant_limits`: an administrator's overrides of one tenant's
-- rate limits and quotas (PUT /v1/admin/users/{id}/limits); a NULL column keeps the setting
-- ([rate_limits], [quotas]); no row: every default. `usage_daily`: messages a tenant sent
-- (accepted by the API) and received, per UTC day (days since 1970-01-01). It is fed from the
-- change stream and written off the send path (limits/usage.hpp: counted in memory, added
-- here every few seconds), so it outlives retention and instance deletion, and goes with the user.
CREATE TABLE tenant_limits (
  user_id               TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  key_per_s             INTEGER,
  key_burst             INTEGER,
  tenant_per_s          INTEGER,
  tenant_burst          INTEGER,
  max_instances         INTEGER,
  max_api_keys          INTEGER,
  max_webhook_endpoints INTEGER,
  updated_at            INTEGER NOT NULL          -- unix ms
);
CREATE TABLE usage_daily (
  user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  day      INTEGER NOT NULL,
  sent     INTEGER NOT NULL DEFAULT 0,
  received INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, day)
) WITHOUT ROWID;

-- migration: 21
-- The audit log, whole (issue 20): a user's own entries are found by actor as well as by
-- subject (GET /v1/me/audit), and the retention purge (retention.audit_days) walks by age.
CREATE INDEX audit_log_actor ON audit_log(actor_id, id);
CREATE INDEX audit_log_age ON audit_log(created_at);
-- A second factor (issue 20, P10): one TOTP secret (RFC 6238) per user, sealed by the vault
-- (AAD: user_totp, the user id, "secret"). `confirmed_at` is NULL until the first right code;
-- `last_step` is the newest 30-second step a code was accepted for, so a code works once.
CREATE TABLE user_totp (
  user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret_blob  BLOB NOT NULL,
  confirmed_at INTEGER,                          -- unix s; NULL: enrolment not confirmed
  last_step    INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL                  -- unix s
);
-- Single-use recovery codes, only as SHA-256 hex (random codes: no salt needed); a used code
-- is deleted. A new enrolment replaces them all.
CREATE TABLE recovery_codes (
  user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  PRIMARY KEY (user_id, code_hash)
);
-- The step between a right password and the code: a short-lived, single-use token (hashed)
-- that names the user and the sign-in method; it goes with its user.
CREATE TABLE signin_challenges (
  token_hash TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  method     TEXT NOT NULL,
  expires_at INTEGER NOT NULL                    -- unix s
);
CREATE INDEX signin_challenges_user ON signin_challenges(user_id);
-- Administrators must have a second factor: an administrator who signs in without one gets a
-- session listed here, which may only enrol (api::authenticate). Confirming a factor deletes
-- the user's rows; the session's end takes its row with it.
CREATE TABLE enrolment_sessions (
  session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX enrolment_sessions_user ON enrolment_sessions(user_id);

-- migration: 24
-- The TOTP enrolment's QR code (issue 20): shown only to the session that began the
-- enrolment, and only until it is confirmed. `enrolling_session` names that session (its id,
-- not its token); NULL once confirmed, and for enrolments begun before this migration.
ALTER TABLE user_totp ADD COLUMN enrolling_session TEXT;
-- Google sign-up's age (issue 20): a sign-in flow started with `age_confirmed=true` (the person
-- ticked "I am at least 16" on the sign-in page) may create an account; without it, a Google
-- identity never seen before is refused, as an email sign-up without the confirmation is.
-- The answer lives only as long as the flow (10 minutes, deleted by its callback).
ALTER TABLE google_flows ADD COLUMN age_confirmed INTEGER NOT NULL DEFAULT 0;
