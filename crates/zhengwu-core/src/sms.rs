//! Sending one-time codes by SMS: citizens' sign-in codes, staff members' reset codes and the
//! code that confirms a staff member's phone.
//!
//! - `log` (development): writes the code to the log, with the number masked. Never for
//!   production: whoever reads the log can sign in as anyone.
//! - `http`: POSTs `{"phone", "code", "template"}` as JSON (`template`: `sign_in`,
//!   `staff_reset` or `staff_phone`) to a configured gateway
//!   URL (e.g. the province's government SMS platform), with an optional bearer token; any
//!   status other than 2xx is a failure and the code is not kept. Plain `http://` only for
//!   now (TLS is not compiled in); gateways are usually on the government intranet.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("SMS gateway unreachable: {0}")]
    Unreachable(String),
    #[error("SMS gateway answered {0}")]
    Refused(u16),
}

#[derive(Debug, Clone)]
pub enum SmsSender {
    Log,
    Http { url: String, token: Option<SecretString>, client: reqwest::Client },
}

impl SmsSender {
    pub fn http(url: String, token: Option<SecretString>) -> SmsSender {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        SmsSender::Http { url, token, client }
    }

    /// A citizen's sign-in code.
    pub async fn send_code(&self, phone: &str, code: &str) -> Result<(), SmsError> {
        self.send(phone, code, "sign_in").await
    }

    /// A one-time code with the gateway's template for it.
    pub async fn send(&self, phone: &str, code: &str, template: &'static str) -> Result<(), SmsError> {
        match self {
            SmsSender::Log => {
                tracing::warn!(
                    phone = %zhengwu_types::personal::mask_mobile(phone),
                    code,
                    template,
                    "development SMS provider: one-time code written to the log (configure sms_provider = http for production)"
                );
                Ok(())
            }
            SmsSender::Http { url, token, client } => {
                let mut req = client.post(url).json(&serde_json::json!({
                    "phone": phone, "code": code, "template": template,
                }));
                if let Some(t) = token {
                    req = req.bearer_auth(t.expose_secret());
                }
                let res = req.send().await.map_err(|e| SmsError::Unreachable(e.without_url().to_string()))?;
                if res.status().is_success() {
                    Ok(())
                } else {
                    Err(SmsError::Refused(res.status().as_u16()))
                }
            }
        }
    }
}
