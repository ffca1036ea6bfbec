-- The service catalogue (事项清单), application forms defined as data, cases (办件) with their
-- attachments and timeline. SQLite dialect; migrations/postgres/0004_services_and_cases.sql is
-- the same schema for PostgreSQL.
-- Form answers hold personal data: they are stored sealed (SM4-GCM, key outside the database).

-- Themes of the integrated service center, life events (individuals), themes for enterprises.
CREATE TABLE service_themes (
    code      TEXT    PRIMARY KEY,
    name      TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('center', 'life', 'enterprise')),
    position  INTEGER NOT NULL
);

CREATE TABLE service_items (
    id               INTEGER PRIMARY KEY,
    code             TEXT    NOT NULL,
    name             TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    department_id    INTEGER NOT NULL REFERENCES departments (id),
    object           TEXT    NOT NULL CHECK (object IN ('individual', 'enterprise', 'both')),
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    summary          TEXT    NOT NULL DEFAULT '',
    eligibility      TEXT    NOT NULL DEFAULT '',
    materials        TEXT    NOT NULL DEFAULT '[]',
    legal_basis      TEXT    NOT NULL DEFAULT '',
    statutory_days   INTEGER NOT NULL CHECK (statutory_days >= 0),
    promised_days    INTEGER NOT NULL CHECK (promised_days >= 0 AND promised_days <= statutory_days),
    day_kind         TEXT    NOT NULL CHECK (day_kind IN ('working', 'natural')),
    fees             TEXT    NOT NULL DEFAULT '',
    venue            TEXT    NOT NULL DEFAULT '',
    hours            TEXT    NOT NULL DEFAULT '',
    online_depth     INTEGER NOT NULL CHECK (online_depth BETWEEN 1 AND 4),
    phone            TEXT    NOT NULL DEFAULT '',
    form_version     INTEGER,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    CONSTRAINT uq_service_items_code UNIQUE (code)
);
CREATE INDEX ix_service_items_status_dept ON service_items (status, department_id);

CREATE TABLE service_item_themes (
    item_id     INTEGER NOT NULL REFERENCES service_items (id) ON DELETE CASCADE,
    theme_code  TEXT    NOT NULL REFERENCES service_themes (code),
    PRIMARY KEY (item_id, theme_code)
);
CREATE INDEX ix_service_item_themes_theme ON service_item_themes (theme_code, item_id);

-- Every version of every item's application form; a case keeps the version it used.
CREATE TABLE service_forms (
    item_id     INTEGER NOT NULL REFERENCES service_items (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL CHECK (version >= 1),
    definition  TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (item_id, version)
);

-- Tracking numbers: one counter per day and department, taken inside the submitting
-- transaction, so numbers are unique across instances sharing the database.
CREATE TABLE case_sequences (
    day        TEXT    NOT NULL,
    dept_code  TEXT    NOT NULL,
    last       INTEGER NOT NULL,
    PRIMARY KEY (day, dept_code)
);

CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    tracking_no      TEXT,
    item_id          INTEGER NOT NULL REFERENCES service_items (id),
    form_version     INTEGER NOT NULL,
    citizen_id       INTEGER NOT NULL REFERENCES citizens (id),
    department_id    INTEGER NOT NULL REFERENCES departments (id),
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'submitted', 'supplement', 'withdrawn')),
    client_key       TEXT    NOT NULL,
    data_sealed      BLOB    NOT NULL,
    lookup_id_mac    TEXT,
    lookup_phone_mac TEXT,
    supplement_note  TEXT,
    supplement_fields TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    submitted_at     TEXT,
    CONSTRAINT uq_cases_tracking_no UNIQUE (tracking_no),
    CONSTRAINT uq_cases_client_key UNIQUE (citizen_id, client_key)
);
CREATE INDEX ix_cases_citizen ON cases (citizen_id, updated_at DESC);
CREATE INDEX ix_cases_dept_status ON cases (department_id, status, submitted_at DESC);

CREATE TABLE case_files (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    field         TEXT    NOT NULL,
    blob_key      TEXT    NOT NULL,
    sm3           TEXT    NOT NULL,
    size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
    media_type    TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    uploaded_at   TEXT    NOT NULL,
    removed_at    TEXT,
    CONSTRAINT uq_case_files_blob UNIQUE (blob_key)
);
CREATE INDEX ix_case_files_case ON case_files (case_id, field);

-- The case's timeline: every step and its time; `public` steps are shown to the applicant.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    at          TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL,
    actor_name  TEXT    NOT NULL,
    public      BOOLEAN NOT NULL,
    message     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ix_case_events_case ON case_events (case_id, id);
