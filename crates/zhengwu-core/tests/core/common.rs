//! What the case tests share: a world with the demo catalogue, a blob store, and helpers to
//! sign people in and attach files. (Each test file uses part of it.)
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use zhengwu_core::{
    audit::{self, AuditKey, RequestMeta},
    blobs::BlobStore,
    cases::{self, NewFile},
    citizen::{self, CitizenActor, PersonalKeys},
    demo,
    identity::{self as id, Ctx, SessionStore, StaffActor},
    testing::{Backend, TestDb},
    with_db,
};
use zhengwu_crypto::keys::MasterKey;
use zhengwu_types::services::FileType;

pub const ID: &str = "11010519491231002X";
pub const PHONE: &str = "13800138000";
pub const NEW_PASSWORD: &str = "Qingshan-2026!";

pub struct World {
    pub master: MasterKey,
    pub sessions: SessionStore,
    pub t: TestDb,
    pub audit: AuditKey,
    pub keys: PersonalKeys,
    pub meta: RequestMeta,
    pub blobs: BlobStore,
    pub blob_dir: std::path::PathBuf,
}

impl World {
    pub async fn new(b: Backend, name: &str) -> Option<World> {
        let t = TestDb::new(b, name).await?;
        demo::seed(&t.db).await.unwrap();
        assert!(demo::seed_services(&t.db, Utc::now()).await.unwrap() >= 30);
        assert_eq!(demo::seed_services(&t.db, Utc::now()).await.unwrap(), 0, "seeded once");
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

    pub fn at(&self, now: DateTime<Utc>) -> Ctx<'_> {
        Ctx { db: &self.t.db, audit: &self.audit, meta: &self.meta, now, sessions: &self.sessions }
    }

    pub fn ctx(&self) -> Ctx<'_> {
        self.at(Utc::now())
    }

    pub async fn staff(&self, username: &str) -> StaffActor {
        let keys = id::StaffKeys::from_master(&self.master);
        zhengwu_core::testing::signed_in_staff(&self.at(Utc::now()), &keys, username, NEW_PASSWORD).await
    }

    /// A signed-in citizen, real-name verified when `id_number` is given.
    pub async fn citizen(&self, phone: &str, id_number: Option<&str>) -> CitizenActor {
        let now = Utc::now();
        let (token, a) = zhengwu_core::testing::signed_in_citizen(&self.at(now), &self.keys, phone).await;
        if let Some(n) = id_number {
            citizen::set_real_name(&self.at(now), &self.keys, &a, "王小明", n).await.unwrap();
        }
        citizen::session_actor(&self.at(now), Duration::minutes(30), &token).await.unwrap().unwrap()
    }

    pub async fn file(&self, field: &str, content: &[u8]) -> NewFile {
        let mut w = self.blobs.writer(5 << 20, &[FileType::Pdf, FileType::Jpeg, FileType::Png]).await.unwrap();
        w.write(content).await.unwrap();
        let blob = w.finish().await.unwrap();
        NewFile { field: field.into(), display_name: cases::display_name("../../身份证.exe", blob.file_type), blob }
    }

    pub async fn actions(&self) -> Vec<String> {
        with_db!(&self.t.db, pool => sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq").fetch_all(pool).await)
            .unwrap()
    }

    pub async fn finish(self) {
        audit::verify(&self.t.db, &self.audit).await.unwrap().expect("audit chain intact");
        let _ = std::fs::remove_dir_all(&self.blob_dir);
        self.t.finish().await;
    }
}

pub const ITEM: &str = "QS-RS-0005"; // 失业保险金申领 (人社局), form "unemployment"

pub fn complete_answers() -> BTreeMap<String, Vec<String>> {
    let v = |s: &str| vec![s.to_string()];
    [
        ("applicant_name", v("王小明")),
        ("id_number", v(ID)),
        ("mobile", v(PHONE)),
        ("last_employer", v("青山县某某机械厂")),
        ("leave_date", v(&(zhengwu_core::time::shanghai_date(Utc::now()) - Duration::days(10)).to_string())),
        ("leave_reason", v("劳动合同期满")),
        ("wants_training", vec!["职业介绍".into(), "职业培训".into()]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

pub fn key(n: u8) -> String {
    format!("{:032x}", u128::from(n) + 0xabc0_0000_0000)
}
