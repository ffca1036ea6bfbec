use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use zhengwu_core::{
    audit::AuditKey,
    citizen::{PersonalKeys, SmsSender},
    identity::{AuthPolicy, SessionStore},
    Db,
};
use zhengwu_types::ErrorCode;

use crate::error::ApiError;
use crate::ui::prefs::SiteInfo;
use crate::web::limits::{AddressLimiter, RateLimiter};
use crate::web::metrics::Metrics;
use crate::web::page_cache::PageCache;

/// Everything a handler or server function needs; handed through axum state and Leptos
/// context, never through globals, so each test can run its own app with its own database.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub metrics: Arc<Metrics>,
    pub page_cache: Arc<PageCache>,
    pub site: SiteInfo,
    pub keys: Arc<Keys>,
    pub policy: AuthPolicy,
    /// Sign-in attempts and SMS-code requests per address per minute.
    pub login_limiter: Arc<AddressLimiter>,
    pub personal: Arc<PersonalKeys>,
    /// `None` when no SMS provider is configured (citizens cannot sign in).
    pub sms: Option<Arc<SmsSender>>,
    pub sessions: SessionStore,
    /// Where uploaded files live.
    pub blobs: zhengwu_core::blobs::BlobStore,
    /// The public case look-up: attempts per address per minute.
    #[from_ref(skip)]
    pub lookup_limiter: Arc<AddressLimiter>,
    /// Application posts per citizen (drafts with uploads are not free to repeat).
    #[from_ref(skip)]
    pub post_limiter: Arc<RateLimiter<i64>>,
    /// SMS codes a day from one address before the image challenge.
    #[from_ref(skip)]
    pub sms_challenge_after: u32,
    /// `/metrics` answers only with this bearer token (when set), or on its own address.
    #[from_ref(skip)]
    pub metrics_token: Option<Arc<secrecy::SecretString>>,
    /// The deadline clock's settings (warning share).
    pub clock: zhengwu_core::workflow::ClockPolicy,
    /// Renders the whole document (the app's shell), for pages rendered again by form posts:
    /// handed in by the shell, so nothing here depends on the app.
    #[from_ref(skip)]
    pub render: Renderer,
}

/// The document renderer: `app::shell` as the shell passes it in.
pub type Renderer = fn(LeptosOptions) -> AnyView;

impl AppState {
    /// The context of an identity operation for a request from `meta`, at this moment.
    pub fn ctx<'a>(&'a self, meta: &'a zhengwu_core::audit::RequestMeta) -> zhengwu_core::identity::Ctx<'a> {
        zhengwu_core::identity::Ctx {
            db: &self.db,
            audit: &self.keys.audit,
            meta,
            now: chrono::Utc::now(),
            sessions: &self.sessions,
        }
    }
}

/// Keys derived from the master key, for the running server.
pub struct Keys {
    pub audit: AuditKey,
    pub csrf: zeroize::Zeroizing<[u8; 32]>,
    /// Staff members' TOTP secrets, registered phones, one-time codes and device cookies.
    pub staff: zhengwu_core::identity::StaffKeys,
    /// Seals the answers of image challenges.
    pub challenge: zhengwu_crypto::sm4gcm::Sm4Key,
}

impl Keys {
    pub fn from_master(master: &zhengwu_crypto::keys::MasterKey) -> Self {
        Keys {
            audit: AuditKey::from_master(master),
            csrf: master.mac_key(zhengwu_crypto::keys::Purpose::Csrf),
            staff: zhengwu_core::identity::StaffKeys::from_master(master),
            challenge: master.sm4_key(zhengwu_crypto::keys::Purpose::PersonalData),
        }
    }
}

impl AppState {
    /// Where one-time codes of staff go: the SMS provider, if any.
    pub fn delivery(&self) -> zhengwu_core::identity::Delivery<'_> {
        zhengwu_core::identity::Delivery { sms: self.sms.as_deref(), keys: &self.keys.staff }
    }
}

/// The state inside a server function.
pub fn use_app_state() -> Result<AppState, ApiError> {
    use_context::<AppState>().ok_or_else(|| ApiError::new(ErrorCode::Internal, "server state missing"))
}
