-- Departments and published articles (notices, policy documents, work updates).
-- SQLite dialect; migrations/postgres/0001_portal_content.sql is the same schema for PostgreSQL.
-- Timestamps are UTC, stored by sqlx as RFC 3339 text, so they sort correctly as text.

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    name_en     TEXT    NOT NULL,
    parent_id   INTEGER REFERENCES departments (id),
    level       TEXT    NOT NULL CHECK (level IN ('province', 'city', 'county', 'department', 'township')),
    created_at  TEXT    NOT NULL,
    CONSTRAINT uq_departments_code UNIQUE (code)
);

CREATE TABLE articles (
    id               INTEGER PRIMARY KEY,
    channel          TEXT    NOT NULL CHECK (channel IN ('notices', 'policies', 'updates')),
    category         TEXT    NOT NULL,
    title            TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary          TEXT    NOT NULL DEFAULT '',
    body             TEXT    NOT NULL,
    document_number  TEXT,
    department_id    INTEGER NOT NULL REFERENCES departments (id),
    published_at     TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);

CREATE INDEX ix_articles_channel_published ON articles (channel, published_at DESC, id DESC);
CREATE INDEX ix_articles_channel_category_published ON articles (channel, category, published_at DESC, id DESC);

CREATE TABLE article_attachments (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    file_name   TEXT    NOT NULL,
    media_type  TEXT    NOT NULL,
    size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
    CONSTRAINT uq_article_attachments_position UNIQUE (article_id, position)
);
