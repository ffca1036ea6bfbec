-- Consent and rights (个人信息保护法; issue 12). SQLite dialect; migrations/postgres/0008_consent.sql
-- is the same schema for PostgreSQL.

-- Every version of the user agreement, the privacy policy and the sensitive-information rules.
CREATE TABLE policy_versions (
    kind          TEXT    NOT NULL CHECK (kind IN ('terms', 'privacy', 'sensitive')),
    version       INTEGER NOT NULL CHECK (version >= 1),
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    published_at  TEXT    NOT NULL,
    published_by  TEXT    NOT NULL,
    PRIMARY KEY (kind, version)
);

-- What each citizen accepted, and when.
CREATE TABLE citizen_consents (
    citizen_id   INTEGER NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    accepted_at  TEXT    NOT NULL,
    PRIMARY KEY (citizen_id, kind, version),
    FOREIGN KEY (kind, version) REFERENCES policy_versions (kind, version)
);
