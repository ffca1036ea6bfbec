-- Hardening after the outside test (issue 10). SQLite dialect; migrations/postgres/0006_hardening.sql
-- is the same schema for PostgreSQL.

-- Staff: the phone the owner registered (sealed, bound to the row) for one-time reset codes, the
-- pending TOTP secret shown by the set-up page until confirmed, growing lock periods, and how
-- far the auditor has read the security events.
ALTER TABLE staff ADD COLUMN phone_sealed BLOB;
ALTER TABLE staff ADD COLUMN totp_pending_sealed BLOB;
ALTER TABLE staff ADD COLUMN lock_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN security_seen_seq BIGINT NOT NULL DEFAULT 0;

-- One-time codes of staff accounts (a credentials reset, confirming a new phone), as MACs.
CREATE TABLE staff_codes (
    staff_id        INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    purpose         TEXT    NOT NULL CHECK (purpose IN ('reset', 'phone')),
    code_mac        TEXT    NOT NULL,
    payload_sealed  BLOB,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    PRIMARY KEY (staff_id, purpose)
);

-- The two-person rule: what one administrator asks and a second approves.
CREATE TABLE admin_requests (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('reset_credentials', 'reset_password', 'reset_totp', 'disable',
                                                   'enable', 'assign_roles')),
    target_id     INTEGER NOT NULL REFERENCES staff (id),
    requested_by  INTEGER NOT NULL REFERENCES staff (id),
    payload       TEXT    NOT NULL DEFAULT '{}',
    reason        TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'refused', 'cancelled', 'expired')),
    decided_by    INTEGER REFERENCES staff (id),
    decided_at    TEXT,
    created_at    TEXT    NOT NULL,
    expires_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX uq_admin_requests_pending ON admin_requests (target_id, kind) WHERE status = 'pending';

-- Failed sign-ins per account and source (a device cookie's digest, or an address).
CREATE TABLE login_throttle (
    staff_id      INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    source        TEXT    NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    lock_count    INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (staff_id, source)
);

-- SMS codes asked for per requester (an address) and phone, per day: strangers cannot use up
-- the owner's allowance.
CREATE TABLE sms_requests (
    phone_index  TEXT    NOT NULL,
    requester    TEXT    NOT NULL,
    day          TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    last_at      TEXT    NOT NULL,
    PRIMARY KEY (phone_index, requester, day)
);
CREATE INDEX ix_sms_requests_requester ON sms_requests (requester, day);

-- Image challenges (图形验证码): used once.
CREATE TABLE challenges (
    id             TEXT    PRIMARY KEY,
    answer_sealed  BLOB    NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    expires_at     TEXT    NOT NULL,
    -- The address the challenge was shown to: only it may answer.
    requester      TEXT    NOT NULL DEFAULT ''
);

-- A real-name registration disputed by the person the ID number belongs to: staff verify.
CREATE TABLE realname_disputes (
    id                INTEGER PRIMARY KEY,
    citizen_id        INTEGER NOT NULL REFERENCES citizens (id),
    holder_id         INTEGER NOT NULL REFERENCES citizens (id),
    id_number_index   TEXT    NOT NULL,
    real_name_sealed  BLOB    NOT NULL,
    id_number_sealed  BLOB    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('pending', 'upheld', 'rejected')),
    note              TEXT    NOT NULL DEFAULT '',
    decided_by        INTEGER REFERENCES staff (id),
    decided_at        TEXT,
    created_at        TEXT    NOT NULL
);
CREATE INDEX ix_realname_disputes_status ON realname_disputes (status, id);
CREATE UNIQUE INDEX uq_realname_disputes_pending ON realname_disputes (citizen_id, id_number_index) WHERE status = 'pending';

-- Attachments whose stored file was swept (removed by the citizen, past the grace period).
ALTER TABLE case_files ADD COLUMN blob_deleted_at TEXT;

-- One-off maintenance steps done in code (e.g. re-sealing values with row-bound associated data).
CREATE TABLE maintenance (
    step     TEXT PRIMARY KEY,
    done_at  TEXT NOT NULL
);

-- Article attachments as files: the stored object (sealed like every blob) and its SM3 digest.
-- Rows without one list a file by name only.
ALTER TABLE article_attachments ADD COLUMN blob_key TEXT;
ALTER TABLE article_attachments ADD COLUMN sm3 TEXT;

-- Device cookies name the generation they were issued in; a reset, a disable or a removed second
-- factor starts a new one, so copies of old cookies stop counting as the owner's browser.
ALTER TABLE staff ADD COLUMN device_generation INTEGER NOT NULL DEFAULT 0;
