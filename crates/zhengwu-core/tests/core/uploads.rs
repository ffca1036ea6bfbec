//! Attachments on SQLite and PostgreSQL: the file limits at every save, also when posts race
//! each other, and removed or orphaned files swept after the grace period.

use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use zhengwu_core::{
    cases::{self, CaseError, NewFile, Posted, Saved},
    testing::Backend,
    with_db,
};

zhengwu_core::on_both!(
    drafts_keep_within_the_file_limits_and_removed_files_are_swept,
    racing_posts_cannot_put_more_files_in_a_field_than_it_takes,
);

async fn drafts_keep_within_the_file_limits_and_removed_files_are_swept(b: Backend) {
    use zhengwu_core::sweep;
    let Some(w) = World::new(b, "cs_limits").await else { return };
    let me = w.citizen(PHONE, Some(ID)).await;
    let ctx = w.ctx();
    let view = cases::application(&ctx, &w.keys, &me, ITEM, None).await.unwrap();
    let max = view.form.field("termination_proof").unwrap().max_files() as usize;
    let posted = Posted { client_key: view.client_key.clone(), ..Default::default() };
    // More files than the field takes, in a draft: refused whole (the form post refuses the
    // extra ones one by one before this; see tests/services_web.rs).
    let mut too_many = vec![];
    for _ in 0..=max {
        too_many.push(w.file("termination_proof", b"%PDF-1.7\n").await);
    }
    let e = cases::save(&ctx, &w.keys, &me, ITEM, &posted, &too_many).await.unwrap_err();
    assert!(
        matches!(&e, CaseError::BadRequest { field: "file", message } if message.contains(&format!("最多上传 {max} 个"))),
        "{e:?}"
    );
    let full: Vec<NewFile> = too_many[..max].to_vec();
    let Saved::Draft { case_id } = cases::save(&ctx, &w.keys, &me, ITEM, &posted, &full).await.unwrap() else {
        panic!()
    };
    // The field is full: one more is refused at the next save too.
    let one_more = w.file("termination_proof", b"%PDF-1.7\n").await;
    assert!(cases::save(&ctx, &w.keys, &me, ITEM, &posted, std::slice::from_ref(&one_more)).await.is_err());
    let a = cases::upload_allowance(&w.t.db, &me, &view.form, &view.client_key, &[]).await.unwrap();
    assert_eq!(a.files_left["termination_proof"], 0);
    assert!(a.case_bytes_left < cases::CASE_QUOTA && a.citizen_bytes_left < cases::CITIZEN_QUOTA);
    // Removing one makes room for one.
    let stored = cases::application(&ctx, &w.keys, &me, ITEM, Some(case_id)).await.unwrap().files;
    let gone = stored[0].clone();
    let swap = Posted { remove_files: vec![gone.id], ..posted.clone() };
    cases::save(&ctx, &w.keys, &me, ITEM, &swap, std::slice::from_ref(&one_more)).await.unwrap();
    // The removed file and the refused uploads stay in the store for the grace period, then go.
    let now = Utc::now();
    let before = sweep::check(&w.t.db, &w.blobs, now, true).await.unwrap();
    assert!(before.removed_due.is_empty() && before.old_orphans(now) == 0, "{before:?}");
    assert!(before.unsealed.is_empty(), "everything is sealed");
    let later = now + Duration::hours(25);
    let found = sweep::check(&w.t.db, &w.blobs, later, false).await.unwrap();
    assert_eq!(found.removed_due.len(), 1);
    assert_eq!(found.old_orphans(later), 1, "the one refused upload nobody deleted: {found:?}");
    let swept = sweep::sweep(&w.t.db, &w.blobs, &w.audit, later).await.unwrap();
    assert_eq!((swept.removed, swept.orphans), (1, 1));
    assert!(sweep::check(&w.t.db, &w.blobs, later, false).await.unwrap().clean(later));
    let deleted: Option<DateTime<Utc>> = with_db!(&w.t.db, pool => sqlx::query_scalar(
        "SELECT blob_deleted_at FROM case_files WHERE id = $1").bind(gone.id).fetch_one(pool).await)
    .unwrap();
    assert!(deleted.is_some());
    // A draft can be deleted (a submitted case cannot); its files are orphans for the next sweep.
    let kept = w.blobs.list().await.unwrap().len();
    cases::delete_draft(&ctx, &me, case_id).await.unwrap();
    assert!(matches!(cases::my_case(&ctx, &w.keys, &me, case_id).await, Err(CaseError::NotFound)));
    let swept = sweep::sweep(&w.t.db, &w.blobs, &w.audit, later).await.unwrap();
    assert_eq!(swept.orphans, kept);
    assert!(w.blobs.list().await.unwrap().is_empty());
    let other = w.citizen("13900139000", None).await;
    assert!(matches!(cases::delete_draft(&ctx, &other, case_id).await, Err(CaseError::NotFound)));
    // The daily sweep runs once across instances.
    assert!(sweep::sweep_once_a_day(&w.t.db, &w.blobs, &w.audit, "a", later).await.unwrap().is_some());
    assert!(sweep::sweep_once_a_day(&w.t.db, &w.blobs, &w.audit, "b", later).await.unwrap().is_none());
    assert!(w.actions().await.iter().any(|a| a == "case.draft_delete"));
    w.finish().await;
}

/// Six posts of two files each at once into a field that takes two (the outside tester's
/// second round left six stored): the limits are checked again inside the transaction, so
/// exactly one post's files are kept.
async fn racing_posts_cannot_put_more_files_in_a_field_than_it_takes(b: Backend) {
    let Some(w) = World::new(b, "cs_race").await else { return };
    let me = w.citizen(PHONE, Some(ID)).await;
    let view = cases::application(&w.ctx(), &w.keys, &me, ITEM, None).await.unwrap();
    let max = view.form.field("termination_proof").unwrap().max_files() as usize;
    assert_eq!(max, 2);
    let posted = Posted { client_key: view.client_key.clone(), ..Default::default() };
    let mut posts = vec![];
    for _ in 0..6 {
        posts.push(vec![
            w.file("termination_proof", b"%PDF-1.7\n").await,
            w.file("termination_proof", b"%PDF-1.7\n").await,
        ]);
    }
    let jobs = posts.iter().map(|files| {
        let (w, me, posted) = (&w, &me, &posted);
        async move { cases::save(&w.ctx(), &w.keys, me, ITEM, posted, files).await }
    });
    let results = zhengwu_core::testing::join_all(jobs).await;
    let saved = results.iter().filter(|r| matches!(r, Ok(Saved::Draft { .. }))).count();
    assert_eq!(saved, 1, "{results:?}");
    assert!(
        results.iter().all(|r| matches!(r, Ok(_) | Err(CaseError::BadRequest { field: "file", .. }))),
        "{results:?}"
    );
    let live: i64 = with_db!(&w.t.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM case_files WHERE field = 'termination_proof' AND removed_at IS NULL")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(live as usize, max);
    w.finish().await;
}
