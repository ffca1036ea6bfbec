//! The workflow engine and the statutory clock on SQLite and PostgreSQL: accept and approve to a
//! concluded case, countersign and any-sign, versions kept by running cases, every action,
//! the concurrent-approval race, suspension/extension arithmetic, the return-and-resubmit
//! regression, the dispatcher fallback, and the warning job's exactly-once run and catch-up.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use zhengwu_core::{
    audit::{self, AuditKey, RequestMeta},
    blobs::BlobStore,
    calendar::{Calendar, Counting},
    cases::{self, NewFile, Posted, Saved},
    citizen::{self, CitizenActor, PersonalKeys},
    demo,
    identity::{self as id, Ctx, SessionStore, StaffActor},
    jobs,
    testing::{Backend, TestDb},
    with_db,
    workflow::{self, warnings, Act, ClockPolicy, Outcome, Supervise, WorkflowError},
};
use zhengwu_crypto::keys::MasterKey;
use zhengwu_types::{
    services::{CaseStatus, FileType},
    workflow::{AssigneeRule, StepAction, StepDef, StepMode, Warning, WorkflowDef},
};

mod deciding;
mod handing;
mod jobs_and_definitions;

const ITEM: &str = "QS-RS-0005"; // 失业保险金申领 (人社局): promised 3 working days
const ID: &str = "11010519491231002X";
const PHONE: &str = "13800138000";
const NEW_PASSWORD: &str = "Qingshan-2026!";
const POLICY: ClockPolicy = ClockPolicy { yellow_percent: 20 };

pub(crate) struct World {
    master: MasterKey,
    sessions: SessionStore,
    t: TestDb,
    audit: AuditKey,
    keys: PersonalKeys,
    meta: RequestMeta,
    blobs: BlobStore,
    blob_dir: std::path::PathBuf,
}

/// An instant at 10:00 in Asia/Shanghai on `day`.
fn at10(day: &str) -> DateTime<Utc> {
    format!("{day}T02:00:00Z").parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

impl World {
    async fn new(b: Backend, name: &str) -> Option<World> {
        let t = TestDb::new(b, name).await?;
        demo::seed(&t.db).await.unwrap();
        demo::seed_services(&t.db, Utc::now()).await.unwrap();
        let master = MasterKey::from_bytes([7; 32]);
        let audit = AuditKey::from_master(&master);
        id::bootstrap(&t.db, &audit, true, "青山县人民政府", Utc::now()).await.unwrap();
        let blob_dir = zhengwu_core::testing::temp_dir(&format!("blobs-{name}"));
        Some(World {
            master: master.clone(),
            sessions: SessionStore::Database,
            t,
            audit,
            keys: PersonalKeys::from_master(&master),
            meta: RequestMeta::default(),
            blobs: BlobStore::local(&blob_dir, zhengwu_crypto::sm4gcm::Sm4Key::new([8; 16])),
            blob_dir,
        })
    }

    fn at(&self, now: DateTime<Utc>) -> Ctx<'_> {
        Ctx { db: &self.t.db, audit: &self.audit, meta: &self.meta, now, sessions: &self.sessions }
    }

    async fn staff(&self, username: &str) -> StaffActor {
        let keys = id::StaffKeys::from_master(&self.master);
        zhengwu_core::testing::signed_in_staff(&self.at(Utc::now()), &keys, username, NEW_PASSWORD).await
    }

    async fn citizen(&self, phone: &str) -> CitizenActor {
        let now = Utc::now();
        let (token, a) = zhengwu_core::testing::signed_in_citizen(&self.at(now), &self.keys, phone).await;
        citizen::set_real_name(&self.at(now), &self.keys, &a, "王小明", ID).await.unwrap();
        citizen::session_actor(&self.at(now), Duration::minutes(30), &token).await.unwrap().unwrap()
    }

    async fn file(&self) -> NewFile {
        let mut w = self.blobs.writer(5 << 20, &[FileType::Pdf]).await.unwrap();
        w.write(b"%PDF-1.7\n").await.unwrap();
        let blob = w.finish().await.unwrap();
        NewFile { field: "termination_proof".into(), display_name: "证明.pdf".into(), blob }
    }

    fn answers(now: DateTime<Utc>) -> BTreeMap<String, Vec<String>> {
        let v = |s: &str| vec![s.to_string()];
        let leave = zhengwu_core::time::shanghai_date(now) - Duration::days(10);
        [
            ("applicant_name", v("王小明")),
            ("id_number", v(ID)),
            ("mobile", v(PHONE)),
            ("last_employer", v("青山县某某机械厂")),
            ("leave_date", v(&leave.to_string())),
            ("leave_reason", v("劳动合同期满")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Submits a new application at `now`: (case id, client key).
    async fn submit(&self, me: &CitizenActor, k: u32, now: DateTime<Utc>) -> (i64, String) {
        let key = format!("{:032x}", 0xfeed_0000_u128 + u128::from(k));
        let posted = Posted {
            client_key: key.clone(),
            answers: Self::answers(now),
            submit: true,
            pledged: true,
            ..Default::default()
        };
        let f = self.file().await;
        match cases::save(&self.at(now), &self.keys, me, ITEM, &posted, &[f]).await.unwrap() {
            Saved::Submitted { case_id, .. } => (case_id, key),
            other => panic!("{other:?}"),
        }
    }

    async fn resubmit(&self, me: &CitizenActor, key: &str, now: DateTime<Utc>) {
        let posted = Posted {
            client_key: key.into(),
            answers: Self::answers(now),
            submit: true,
            pledged: true,
            use_saved: false,
            ..Default::default()
        };
        let saved = cases::save(&self.at(now), &self.keys, me, ITEM, &posted, &[]).await.unwrap();
        assert!(matches!(saved, Saved::Submitted { .. }), "{saved:?}");
    }

    /// The open task of `who` on the case.
    async fn task(&self, case_id: i64, who: &StaffActor) -> Option<i64> {
        with_db!(&self.t.db, pool => sqlx::query_scalar(
            "SELECT id FROM case_tasks WHERE case_id = $1 AND assignee_id = $2 AND status = 'open'")
            .bind(case_id).bind(who.id).fetch_optional(pool).await)
        .unwrap()
    }

    async fn open_tasks(&self, case_id: i64) -> Vec<(String, Option<i64>)> {
        with_db!(&self.t.db, pool => sqlx::query_as(
            "SELECT step, assignee_id FROM case_tasks WHERE case_id = $1 AND status = 'open' ORDER BY id")
            .bind(case_id).fetch_all(pool).await)
        .unwrap()
    }

    async fn case(&self, case_id: i64) -> (String, Option<String>, Option<String>, String) {
        with_db!(&self.t.db, pool => sqlx::query_as(
            "SELECT status, step, due_date, warning FROM cases WHERE id = $1").bind(case_id).fetch_one(pool).await)
        .unwrap()
    }

    async fn events(&self, case_id: i64, kind: &str) -> i64 {
        with_db!(&self.t.db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_events WHERE case_id = $1 AND kind = $2")
            .bind(case_id).bind(kind).fetch_one(pool).await)
        .unwrap()
    }

    async fn act(&self, who: &StaffActor, case_id: i64, a: Act, now: DateTime<Utc>) -> Result<Outcome, WorkflowError> {
        let task = self.task(case_id, who).await.unwrap_or(-1);
        workflow::act(&self.at(now), who, task, a, POLICY).await
    }

    async fn finish(self) {
        audit::verify(&self.t.db, &self.audit).await.unwrap().expect("audit chain intact");
        let _ = std::fs::remove_dir_all(&self.blob_dir);
        self.t.finish().await;
    }
}

fn approve(choose: Option<i64>) -> Act {
    Act::Approve { opinion: "同意。".into(), choose }
}
