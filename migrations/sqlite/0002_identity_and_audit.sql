-- Staff accounts, roles with permissions and data scopes, server-side sessions, and the
-- hash-chained audit trail. SQLite dialect; migrations/postgres/0002_identity_and_audit.sql is
-- the same schema for PostgreSQL. Secrets never appear here in clear: passwords are argon2id
-- PHC strings, TOTP secrets are SM4-GCM sealed, session ids are stored as SM3 digests.

CREATE TABLE staff (
    id                    INTEGER PRIMARY KEY,
    username              TEXT    NOT NULL,
    display_name          TEXT    NOT NULL CHECK (length(display_name) BETWEEN 1 AND 50),
    department_id         INTEGER NOT NULL REFERENCES departments (id),
    password_hash         TEXT    NOT NULL,
    must_change_password  BOOLEAN NOT NULL DEFAULT TRUE,
    totp_sealed           BLOB,
    totp_last_step        BIGINT,
    status                TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    locked_until          TEXT,
    password_changed_at   TEXT,
    last_login_at         TEXT,
    created_at            TEXT    NOT NULL,
    updated_at            TEXT    NOT NULL,
    CONSTRAINT uq_staff_username UNIQUE (username)
);
CREATE INDEX ix_staff_department ON staff (department_id);

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    duty        TEXT    NOT NULL CHECK (duty IN ('system', 'security', 'audit', 'business')),
    data_scope  TEXT    NOT NULL CHECK (data_scope IN ('self', 'department', 'department_tree', 'all', 'custom')),
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    CONSTRAINT uq_roles_code UNIQUE (code)
);

CREATE TABLE role_permissions (
    role_id     INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission  TEXT    NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE role_departments (
    role_id        INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    department_id  INTEGER NOT NULL REFERENCES departments (id),
    PRIMARY KEY (role_id, department_id)
);

CREATE TABLE staff_roles (
    staff_id  INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    role_id   INTEGER NOT NULL REFERENCES roles (id),
    PRIMARY KEY (staff_id, role_id)
);

CREATE TABLE sessions (
    id_digest     TEXT    PRIMARY KEY,
    staff_id      INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    csrf_secret   TEXT    NOT NULL,
    second_factor BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT    NOT NULL,
    last_seen_at  TEXT    NOT NULL,
    expires_at    TEXT    NOT NULL
);
CREATE INDEX ix_sessions_staff ON sessions (staff_id);

-- Append-only. Each record's MAC is HMAC-SM3 over its canonical content and the previous MAC.
CREATE TABLE audit_log (
    seq          BIGINT  PRIMARY KEY,
    occurred_at  TEXT    NOT NULL,
    actor_kind   TEXT    NOT NULL,
    actor_id     BIGINT,
    actor_name   TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    object_type  TEXT    NOT NULL,
    object_id    TEXT,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('success', 'failure')),
    ip           TEXT,
    user_agent   TEXT,
    request_id   TEXT,
    detail       TEXT    NOT NULL,
    mac          TEXT    NOT NULL
);
CREATE INDEX ix_audit_log_occurred ON audit_log (occurred_at);
CREATE INDEX ix_audit_log_actor ON audit_log (actor_id, occurred_at);

-- One row: where the chain ends (last_seq, last_mac) and where it starts after purges
-- (first_seq, anchor_mac = the MAC of the last purged record, or empty).
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq    BIGINT  NOT NULL,
    last_mac    TEXT    NOT NULL,
    first_seq   BIGINT  NOT NULL,
    anchor_mac  TEXT    NOT NULL,
    head_mac    TEXT    NOT NULL
);
