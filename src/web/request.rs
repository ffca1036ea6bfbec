//! What the shell's middleware attaches to a request for everything after it: its id, the CSP
//! nonce of its response, and whether it came over HTTPS.

use axum::http::HeaderMap;

pub const REQUEST_ID: &str = "x-request-id";

/// The request id of the request being handled.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The CSP nonce of the response being built.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

impl CspNonce {
    pub fn fresh() -> Self {
        let mut b = [0u8; 16];
        zhengwu_crypto::random_bytes(&mut b);
        CspNonce(zhengwu_crypto::to_hex(&b))
    }
}

/// Behind the TLS-terminating proxy: the proxy says so.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}
