-- Citizen accounts (signed in by mobile number and a one-time code) with their real-name data.
-- SQLite dialect; migrations/postgres/0003_citizens.sql is the same schema for PostgreSQL.
-- Personal data is never stored in clear: *_sealed columns hold SM4-GCM ciphertexts (key outside
-- the database), *_index columns an HMAC-SM3 blind index for exact look-up and uniqueness.

CREATE TABLE citizens (
    id                INTEGER PRIMARY KEY,
    phone_sealed      BLOB    NOT NULL,
    phone_index       TEXT    NOT NULL,
    real_name_sealed  BLOB,
    id_number_sealed  BLOB,
    id_number_index   TEXT,
    verified_at       TEXT,
    status            TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    last_login_at     TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    CONSTRAINT uq_citizens_phone UNIQUE (phone_index),
    CONSTRAINT uq_citizens_id_number UNIQUE (id_number_index)
);

-- One pending sign-in code per phone: stored as an HMAC, limited in time and attempts.
CREATE TABLE sms_codes (
    phone_index  TEXT    PRIMARY KEY,
    code_mac     TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    sent_today   INTEGER NOT NULL DEFAULT 1,
    day          TEXT    NOT NULL,
    sent_at      TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL
);

CREATE TABLE citizen_sessions (
    id_digest     TEXT    PRIMARY KEY,
    citizen_id    INTEGER NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
    csrf_secret   TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    last_seen_at  TEXT    NOT NULL,
    expires_at    TEXT    NOT NULL
);
CREATE INDEX ix_citizen_sessions_citizen ON citizen_sessions (citizen_id);
