-- Workflow approval and statutory time limits (工作流审批 · 办理时限). SQLite dialect;
-- migrations/postgres/0005_workflow_and_time_limits.sql is the same schema for PostgreSQL.

-- The working-day calendar: one row per year loaded (from the State Council's notice), and the
-- days that differ from "Saturday and Sunday are rest days".
CREATE TABLE calendar_years (
    year       INTEGER PRIMARY KEY,
    notice     TEXT    NOT NULL,
    source     TEXT    NOT NULL CHECK (source IN ('shipped', 'file', 'admin')),
    loaded_by  TEXT    NOT NULL,
    loaded_at  TEXT    NOT NULL
);

CREATE TABLE calendar_days (
    day         TEXT    PRIMARY KEY,
    year        INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name        TEXT    NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('shipped', 'file', 'admin')),
    updated_by  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX ix_calendar_days_year ON calendar_days (year, day);

-- Every version of every item's workflow; a case keeps the version it started with.
CREATE TABLE workflow_definitions (
    item_id     INTEGER NOT NULL REFERENCES service_items (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL CHECK (version >= 1),
    definition  TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (item_id, version)
);
ALTER TABLE service_items ADD COLUMN workflow_version INTEGER;

-- The department's dispatcher (分办员): receives the tasks nobody else matches.
ALTER TABLE departments ADD COLUMN dispatcher_id INTEGER REFERENCES staff (id);

-- cases gains its workflow state and its clock, and new statuses. SQLite cannot change a CHECK
-- constraint, so the table is rebuilt; its children are rebuilt with it, because renaming a
-- table rewrites the references to it (and dropping it would cascade into them).
ALTER TABLE cases RENAME TO cases_0004;
ALTER TABLE case_files RENAME TO case_files_0004;
ALTER TABLE case_events RENAME TO case_events_0004;

CREATE TABLE cases (
    id               INTEGER PRIMARY KEY,
    tracking_no      TEXT,
    item_id          INTEGER NOT NULL REFERENCES service_items (id),
    form_version     INTEGER NOT NULL,
    citizen_id       INTEGER NOT NULL REFERENCES citizens (id),
    department_id    INTEGER NOT NULL REFERENCES departments (id),
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'submitted', 'supplement', 'withdrawn',
                                                        'processing', 'approved', 'rejected', 'terminated')),
    client_key       TEXT    NOT NULL,
    data_sealed      BLOB    NOT NULL,
    lookup_id_mac    TEXT,
    lookup_phone_mac TEXT,
    supplement_note  TEXT,
    supplement_fields TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    submitted_at     TEXT,
    -- Workflow: the version the case runs on, its current step, and a revision every action
    -- bumps (the row is the case's lock).
    workflow_version INTEGER,
    step             TEXT,
    revision         INTEGER NOT NULL DEFAULT 0,
    -- The clock: accepted on (Asia/Shanghai date), the limit and how it counts, the due date;
    -- while stopped, since when, why and how many days were left.
    accepted_at      TEXT,
    limit_days       INTEGER,
    day_kind         TEXT    CHECK (day_kind IN ('working', 'natural')),
    due_date         TEXT,
    extended_days    INTEGER NOT NULL DEFAULT 0,
    paused_on        TEXT,
    pause_reason     TEXT    CHECK (pause_reason IN ('supplement', 'external')),
    pause_note       TEXT,
    days_left_at_pause INTEGER,
    warning          TEXT    NOT NULL DEFAULT 'none' CHECK (warning IN ('none', 'yellow', 'red')),
    concluded_at     TEXT,
    conclusion_note  TEXT,
    CONSTRAINT uq_cases_tracking_no UNIQUE (tracking_no),
    CONSTRAINT uq_cases_client_key UNIQUE (citizen_id, client_key)
);
INSERT INTO cases (id, tracking_no, item_id, form_version, citizen_id, department_id, status, client_key,
                   data_sealed, lookup_id_mac, lookup_phone_mac, supplement_note, supplement_fields,
                   created_at, updated_at, submitted_at)
    SELECT id, tracking_no, item_id, form_version, citizen_id, department_id, status, client_key,
           data_sealed, lookup_id_mac, lookup_phone_mac, supplement_note, supplement_fields,
           created_at, updated_at, submitted_at FROM cases_0004;

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
INSERT INTO case_files SELECT * FROM case_files_0004;

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
INSERT INTO case_events SELECT * FROM case_events_0004;

DROP TABLE case_files_0004;
DROP TABLE case_events_0004;
DROP TABLE cases_0004;

CREATE INDEX ix_cases_citizen ON cases (citizen_id, updated_at DESC);
CREATE INDEX ix_cases_dept_status ON cases (department_id, status, submitted_at DESC);
CREATE INDEX ix_cases_warning ON cases (warning, due_date) WHERE status = 'processing';
CREATE INDEX ix_case_files_case ON case_files (case_id, field);
CREATE INDEX ix_case_events_case ON case_events (case_id, id);

-- Work items: one per person per step entered (会签 and 或签 give one to each candidate).
-- `round` counts the times the case entered the step; a task is open until decided, cancelled
-- (a sibling decided first, the case was returned, withdrawn or terminated) or handed on.
CREATE TABLE case_tasks (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    step         TEXT    NOT NULL,
    step_name    TEXT    NOT NULL,
    round        INTEGER NOT NULL,
    mode         TEXT    NOT NULL CHECK (mode IN ('single', 'all', 'any')),
    assignee_id  INTEGER REFERENCES staff (id),
    -- Set while delegated (委派): the task's owner, who can take it back.
    owner_id     INTEGER REFERENCES staff (id),
    -- Assigned to the dispatcher because nobody matched the step's rule.
    fallback     BOOLEAN NOT NULL DEFAULT FALSE,
    status       TEXT    NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    decision     TEXT,
    opinion      TEXT    NOT NULL DEFAULT '',
    decided_by   INTEGER REFERENCES staff (id),
    decided_at   TEXT,
    created_at   TEXT    NOT NULL,
    due_date     TEXT,
    reminders    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_case_tasks_inbox ON case_tasks (assignee_id, status, due_date);
CREATE INDEX ix_case_tasks_case ON case_tasks (case_id, step, round);
CREATE INDEX ix_case_tasks_done ON case_tasks (decided_by, decided_at DESC);

-- Things somebody must look at: a step nobody matched, a task with no one to take it.
CREATE TABLE workflow_alerts (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    at           TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    resolved_at  TEXT
);
CREATE INDEX ix_workflow_alerts_open ON workflow_alerts (resolved_at, department_id);

-- Copies (抄送): a case shown to a colleague for information, with whether they have read it.
CREATE TABLE case_copies (
    case_id    INTEGER  NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    staff_id   INTEGER  NOT NULL REFERENCES staff (id),
    copied_by  INTEGER  NOT NULL REFERENCES staff (id),
    copied_at  TEXT    NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    read_at    TEXT,
    PRIMARY KEY (case_id, staff_id)
);
CREATE INDEX ix_case_copies_staff ON case_copies (staff_id, copied_at);

-- Extensions (延期) asked for by the person handling a case, decided by a permission holder.
CREATE TABLE case_extensions (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER  NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    requested_by  INTEGER  NOT NULL REFERENCES staff (id),
    requested_at  TEXT    NOT NULL,
    days          INTEGER NOT NULL CHECK (days BETWEEN 1 AND 60),
    reason        TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    decided_by    INTEGER  REFERENCES staff (id),
    decided_at    TEXT,
    decision_note TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ix_case_extensions_pending ON case_extensions (status, case_id);

-- Scheduled jobs: one row per job and period; the instance that inserts it runs the period.
-- A claim older than its lease without `finished_at` may be taken over (the claimant died).
CREATE TABLE job_runs (
    job          TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    instance     TEXT    NOT NULL,
    claimed_at   TEXT    NOT NULL,
    finished_at  TEXT,
    detail       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (job, period)
);
