//! The database layer and the articles repository, run against SQLite and PostgreSQL alike.

use std::time::Duration;

use zhengwu_core::{
    articles::{self, ArticleError},
    blobs::BlobStore,
    demo::{self, SeedOutcome},
    testing::{Backend, TestDb},
    with_db, with_tx,
};
use zhengwu_types::{Channel, PageRequest};

zhengwu_core::on_both!(
    demo_data_seeds_once_and_only_into_an_empty_database,
    lists_are_newest_first_and_paginate_without_gaps,
    a_category_filter_returns_only_that_category,
    an_unknown_category_is_refused,
    an_article_is_found_only_in_its_own_channel,
    attachments_download_once_their_files_are_stored,
    migrations_can_run_again_without_change,
    a_rolled_back_write_leaves_nothing_behind,
);

async fn seeded(backend: Backend, name: &str) -> Option<TestDb> {
    let t = TestDb::new(backend, name).await?;
    assert!(matches!(demo::seed(&t.db).await.unwrap(), SeedOutcome::Seeded { .. }));
    Some(t)
}

async fn demo_data_seeds_once_and_only_into_an_empty_database(backend: Backend) {
    let Some(t) = TestDb::new(backend, "seed").await else { return };
    let first = demo::seed(&t.db).await.unwrap();
    let SeedOutcome::Seeded { departments, articles } = first else { panic!("expected seeding, got {first:?}") };
    assert!(departments >= 8 && articles >= 30);
    assert_eq!(demo::article_count(&t.db).await.unwrap(), articles as i64);
    assert_eq!(demo::seed(&t.db).await.unwrap(), SeedOutcome::AlreadyHasData);
    assert_eq!(demo::article_count(&t.db).await.unwrap(), articles as i64, "second seed must add nothing");
    t.finish().await;
}

async fn lists_are_newest_first_and_paginate_without_gaps(backend: Backend) {
    let Some(t) = seeded(backend, "paginate").await else { return };
    let per = PageRequest::parse(Some("1"), Some("7")).unwrap();
    let first = articles::list_articles(&t.db, Channel::Notices, None, per).await.unwrap();
    assert!(first.total >= 20);
    assert_eq!(first.items.len(), 7);
    let mut seen = Vec::new();
    for p in 1..=first.total_pages {
        let req = PageRequest::parse(Some(&p.to_string()), Some("7")).unwrap();
        let page = articles::list_articles(&t.db, Channel::Notices, None, req).await.unwrap();
        seen.extend(page.items);
    }
    assert_eq!(seen.len() as i64, first.total, "every notice exactly once across pages");
    let mut ids: Vec<_> = seen.iter().map(|a| a.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, first.total);
    assert!(seen.windows(2).all(|w| w[0].published_on >= w[1].published_on), "newest first");
    assert!(seen.iter().all(|a| a.channel == Channel::Notices));
    // Past the end: an empty page, not an error.
    let past = PageRequest::parse(Some("99"), Some("7")).unwrap();
    let empty = articles::list_articles(&t.db, Channel::Notices, None, past).await.unwrap();
    assert!(empty.items.is_empty() && empty.total == first.total);
    t.finish().await;
}

async fn a_category_filter_returns_only_that_category(backend: Backend) {
    let Some(t) = seeded(backend, "category").await else { return };
    let page =
        articles::list_articles(&t.db, Channel::Notices, Some("recruitment"), PageRequest::first()).await.unwrap();
    assert!(page.total >= 2);
    assert_eq!(page.items.len() as i64, page.total);
    assert!(page.items.iter().all(|a| a.category == "recruitment"));
    let all = articles::list_articles(&t.db, Channel::Notices, None, PageRequest::first()).await.unwrap();
    assert!(all.total > page.total);
    t.finish().await;
}

async fn an_unknown_category_is_refused(backend: Backend) {
    let Some(t) = seeded(backend, "unknown_category").await else { return };
    for bad in ["nope", "regulation", "' OR 1=1 --"] {
        let e = articles::list_articles(&t.db, Channel::Notices, Some(bad), PageRequest::first()).await.unwrap_err();
        assert!(matches!(e, ArticleError::UnknownCategory(_)), "{bad}: {e:?}");
    }
    t.finish().await;
}

async fn an_article_is_found_only_in_its_own_channel(backend: Backend) {
    let Some(t) = seeded(backend, "channel").await else { return };
    let policies = articles::list_articles(&t.db, Channel::Policies, None, PageRequest::first()).await.unwrap();
    let with_attachments = policies.items.iter().find(|a| a.attachment_count > 0).expect("a policy with attachments");
    let detail = articles::get_article(&t.db, Channel::Policies, with_attachments.id).await.unwrap();
    assert_eq!(detail.summary, *with_attachments);
    assert_eq!(detail.attachments.len() as i64, with_attachments.attachment_count);
    assert!(detail.paragraphs().count() >= 1);
    assert!(detail.summary.document_number.is_some());
    let e = articles::get_article(&t.db, Channel::Notices, with_attachments.id).await.unwrap_err();
    assert!(matches!(e, ArticleError::NotFound));
    let e = articles::get_article(&t.db, Channel::Policies, i64::MAX).await.unwrap_err();
    assert!(matches!(e, ArticleError::NotFound));
    t.finish().await;
}

async fn attachments_download_once_their_files_are_stored(backend: Backend) {
    let Some(t) = seeded(backend, "attachfiles").await else { return };
    let dir =
        std::env::temp_dir().join(format!("zw_attach_{}_{}", std::process::id(), matches!(backend, Backend::Postgres)));
    let store = BlobStore::local(&dir, zhengwu_crypto::sm4gcm::Sm4Key::new([3; 16]));
    let notices = articles::list_articles(&t.db, Channel::Notices, None, PageRequest::first()).await.unwrap();
    let listed = notices.items.iter().find(|a| a.attachment_count > 0).expect("a notice with attachments");
    // Listed by name only until the files are stored: no download address.
    let before = articles::get_article(&t.db, Channel::Notices, listed.id).await.unwrap();
    assert!(before.attachments.iter().all(|a| a.href.is_none()));
    assert!(matches!(
        articles::attachment_file(&t.db, Channel::Notices, listed.id, 0).await,
        Err(ArticleError::NotFound)
    ));

    let stored = demo::attach_files(&t.db, &store).await.unwrap();
    assert!(stored >= 16, "every demo attachment gets its file: {stored}");
    assert_eq!(demo::attach_files(&t.db, &store).await.unwrap(), 0, "a second run stores nothing");
    assert_eq!(store.list().await.unwrap().len(), stored, "and leaves no extra copies");

    let after = articles::get_article(&t.db, Channel::Notices, listed.id).await.unwrap();
    for (i, a) in after.attachments.iter().enumerate() {
        assert_eq!(a.href.as_deref(), Some(format!("/notices/{}/files/{i}", listed.id).as_str()));
        let f = articles::attachment_file(&t.db, Channel::Notices, listed.id, i as i32).await.unwrap();
        assert_eq!(f.file_name, a.file_name);
        let bytes = store.read(&f.blob_key, &f.sm3).await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "a PDF");
        assert_eq!(bytes.len() as i64, a.size_bytes, "the listed size is the file's");
    }
    // Another channel's id, a position past the list: not found.
    let e = articles::attachment_file(&t.db, Channel::Policies, listed.id, 0).await.unwrap_err();
    assert!(matches!(e, ArticleError::NotFound));
    let e = articles::attachment_file(&t.db, Channel::Notices, listed.id, 99).await.unwrap_err();
    assert!(matches!(e, ArticleError::NotFound));
    // The sweep counts them as referenced: nothing is an orphan, nothing missing.
    let f =
        zhengwu_core::sweep::check(&t.db, &store, chrono::Utc::now() + chrono::Duration::days(2), true).await.unwrap();
    assert!(f.orphans.is_empty() && f.missing.is_empty() && f.unsealed.is_empty(), "{f:?}");
    assert_eq!(f.referenced, stored);
    let _ = std::fs::remove_dir_all(dir);
    t.finish().await;
}

async fn migrations_can_run_again_without_change(backend: Backend) {
    let Some(t) = TestDb::new(backend, "migrate_again").await else { return };
    t.db.migrate().await.unwrap();
    let applied: i64 = with_db!(&t.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success").fetch_one(pool).await).unwrap();
    assert_eq!(applied, zhengwu_core::db::SQLITE_MIGRATIONS.iter().count() as i64);
    t.finish().await;
}

async fn a_rolled_back_write_leaves_nothing_behind(backend: Backend) {
    let Some(t) = TestDb::new(backend, "rollback").await else { return };
    let mut tx = t.db.begin_write().await.unwrap();
    with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO departments (code, name, name_en, level, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind("X").bind("测试").bind("Test").bind("county").bind(chrono::Utc::now())
        .execute(conn).await.map(|_| ()))
    .unwrap();
    // A failing second statement (unknown level violates the CHECK) …
    let failed = with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO departments (code, name, name_en, level, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind("Y").bind("测试").bind("Test").bind("galaxy").bind(chrono::Utc::now())
        .execute(conn).await.map(|_| ()));
    assert!(failed.is_err());
    drop(tx); // … and the transaction is abandoned: the first insert must not survive.
    let n: i64 =
        with_db!(&t.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM departments").fetch_one(pool).await).unwrap();
    assert_eq!(n, 0);
    t.finish().await;
}

/// SQLite write transactions take the write lock at BEGIN (BEGIN IMMEDIATE): a second writer
/// waits at its BEGIN until the first commits, instead of failing later with SQLITE_BUSY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writers_queue_at_begin() {
    let t = TestDb::new(Backend::Sqlite, "immediate").await.unwrap();
    let first = t.db.begin_write().await.unwrap();
    let db = t.db.clone();
    let second = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let tx = db.begin_write().await.unwrap();
        let waited = started.elapsed();
        tx.commit().await.unwrap();
        waited
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "second writer must wait while the first holds the lock");
    first.commit().await.unwrap();
    let waited = second.await.unwrap();
    assert!(waited >= Duration::from_millis(250), "waited only {waited:?}");
    t.finish().await;
}

/// Foreign keys are enforced on SQLite (off by default there).
#[tokio::test]
async fn sqlite_enforces_foreign_keys() {
    let t = TestDb::new(Backend::Sqlite, "fk").await.unwrap();
    let r = with_db!(&t.db, pool => sqlx::query(
        "INSERT INTO departments (code, name, name_en, parent_id, level, created_at) VALUES ('A', 'a', 'a', 424242, 'county', '2026-01-01')")
        .execute(pool).await.map(|_| ()));
    assert!(r.is_err(), "a department with a missing parent must be refused");
    let mode: String =
        with_db!(&t.db, pool => sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await).unwrap();
    assert_eq!(mode, "wal");
    t.finish().await;
}
