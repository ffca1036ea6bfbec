-- The portal as Chinese service portals show it (issue 12). SQLite dialect;
-- migrations/postgres/0007_portal_hub.sql is the same schema for PostgreSQL.

-- What a guide shows beyond the basics: words citizens search with (别名、关键词: 低保, 社保…),
-- how often the applicant must come (到现场次数 0–2), the complaint phone, the fees' legal basis,
-- the result (结果名称) and how it may be delivered (a list of codes: window, post, electronic),
-- and the item's questions and answers (常见问题, JSON [{"q","a"}]).
ALTER TABLE service_items ADD COLUMN keywords TEXT NOT NULL DEFAULT '';
ALTER TABLE service_items ADD COLUMN visits INTEGER NOT NULL DEFAULT 1 CHECK (visits BETWEEN 0 AND 2);
ALTER TABLE service_items ADD COLUMN complaint_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE service_items ADD COLUMN fee_basis TEXT NOT NULL DEFAULT '';
ALTER TABLE service_items ADD COLUMN result_name TEXT NOT NULL DEFAULT '';
ALTER TABLE service_items ADD COLUMN delivery TEXT NOT NULL DEFAULT 'window';
ALTER TABLE service_items ADD COLUMN faq TEXT NOT NULL DEFAULT '[]';

-- How the applicant wants the result (chosen when applying), the postal address sealed bound to
-- the case's row, when the 承诺书 was confirmed, and where the case came from (网上/窗口/微信).
ALTER TABLE cases ADD COLUMN delivery TEXT CHECK (delivery IN ('window', 'post', 'electronic'));
ALTER TABLE cases ADD COLUMN delivery_address_sealed BLOB;
ALTER TABLE cases ADD COLUMN pledged_at TEXT;
ALTER TABLE cases ADD COLUMN channel TEXT NOT NULL DEFAULT 'online' CHECK (channel IN ('online', 'window', 'wechat'));
-- 热门服务 counts submitted cases per item.
CREATE INDEX ix_cases_item_submitted ON cases (item_id, submitted_at);

-- 收藏: a citizen's saved services.
CREATE TABLE citizen_favourites (
    citizen_id  INTEGER NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
    item_id     INTEGER NOT NULL REFERENCES service_items (id) ON DELETE CASCADE,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (citizen_id, item_id)
);
