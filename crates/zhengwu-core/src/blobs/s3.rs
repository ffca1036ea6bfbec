//! An S3-compatible object store (AWS S3, MinIO, Alibaba OSS, Huawei OBS, Tencent COS in S3
//! mode): PUT, GET and DELETE of whole objects with AWS Signature Version 4, path-style URLs
//! (`{endpoint}/{bucket}/{key}`), which every compatible store accepts.
//!
//! Signing is written here (about a hundred lines) rather than pulling in an SDK. The signature
//! is checked against the worked "GET Object" example of the S3 documentation (the same value
//! botocore computes for it); the store itself is tested against moto's S3 server, an
//! independent implementation (tests/blobs_s3.rs; moto does not check signatures by default).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub use crate::config::S3Config;

#[derive(Debug, Clone)]
pub struct S3Store {
    cfg: S3Config,
    client: reqwest::Client,
}

fn hex(b: &[u8]) -> String {
    zhengwu_crypto::to_hex(b)
}

fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// RFC 3986 unreserved characters stay; everything else is %XX (upper case), as SigV4 wants.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            b'/' if keep_slash => "/".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What is signed of a request. `headers` are (name, value) and must include `host`,
/// `x-amz-date` and `x-amz-content-sha256`.
pub struct ToSign<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub payload_sha256: &'a str,
}

/// Who signs, where.
pub struct Signer<'a> {
    pub region: &'a str,
    pub access_key: &'a str,
    pub secret_key: &'a str,
}

/// The `Authorization` header value of a request at `at`.
pub fn authorization(r: &ToSign<'_>, k: &Signer<'_>, at: DateTime<Utc>) -> String {
    let ToSign { method, path, query, headers, payload_sha256 } = *r;
    let Signer { region, access_key, secret_key } = *k;
    let amz_date = at.format("%Y%m%dT%H%M%SZ").to_string();
    let date = at.format("%Y%m%d").to_string();
    let mut q: Vec<(String, String)> =
        query.iter().map(|(k, v)| (uri_encode(k, false), uri_encode(v, false))).collect();
    q.sort();
    let canonical_query = q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect();
    h.sort();
    let canonical_headers: String = h.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = h.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    let canonical_request = format!(
        "{method}\n{}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_sha256}",
        uri_encode(path, true)
    );
    let scope = format!("{date}/{region}/s3/aws4_request");
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()));
    let k_date = hmac(format!("AWS4{secret_key}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, b"s3");
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex(&hmac(&k_signing, string_to_sign.as_bytes()));
    format!("AWS4-HMAC-SHA256 Credential={access_key}/{scope},SignedHeaders={signed_headers},Signature={signature}")
}

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("object store unreachable: {0}")]
    Unreachable(String),
    #[error("object store answered {0}")]
    Status(u16),
    #[error("no such object")]
    NotFound,
}

impl S3Store {
    pub fn new(cfg: S3Config) -> Self {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("an HTTP client without special settings builds");
        S3Store { cfg, client }
    }

    fn host(&self) -> String {
        let u = &self.cfg.endpoint;
        match u.port() {
            Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
            None => u.host_str().unwrap_or_default().to_string(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        key: &str,
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response, S3Error> {
        self.send_query(method, key, &[], body).await
    }

    async fn send_query(
        &self,
        method: reqwest::Method,
        key: &str,
        query: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response, S3Error> {
        let path =
            if key.is_empty() { format!("/{}", self.cfg.bucket) } else { format!("/{}/{}", self.cfg.bucket, key) };
        let payload = sha256_hex(body.as_deref().unwrap_or_default());
        let now = Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let headers = vec![
            ("host".to_string(), self.host()),
            ("x-amz-content-sha256".to_string(), payload.clone()),
            ("x-amz-date".to_string(), amz_date.clone()),
        ];
        let auth = authorization(
            &ToSign { method: method.as_str(), path: &path, query, headers: &headers, payload_sha256: &payload },
            &Signer {
                region: &self.cfg.region,
                access_key: &self.cfg.access_key,
                secret_key: self.cfg.secret_key.expose_secret(),
            },
            now,
        );
        let mut url = self.cfg.endpoint.clone();
        url.set_path(&path);
        if !query.is_empty() {
            let q: Vec<String> =
                query.iter().map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false))).collect();
            url.set_query(Some(&q.join("&")));
        }
        let mut req = self
            .client
            .request(method, url)
            .header("x-amz-content-sha256", payload)
            .header("x-amz-date", amz_date)
            .header("authorization", auth);
        if let Some(b) = body {
            req = req.header("content-type", "application/octet-stream").body(b);
        }
        req.send().await.map_err(|e| S3Error::Unreachable(e.without_url().to_string()))
    }

    /// Creates the bucket (for tests and first set-up; production buckets are made by the
    /// storage administrator with their retention and access policies).
    pub async fn create_bucket(&self) -> Result<(), S3Error> {
        let r = self.send(reqwest::Method::PUT, "", Some(Vec::new())).await?;
        match r.status().as_u16() {
            200 | 409 => Ok(()),
            s => Err(S3Error::Status(s)),
        }
    }

    pub async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), S3Error> {
        let r = self.send(reqwest::Method::PUT, key, Some(body)).await?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(S3Error::Status(r.status().as_u16()))
        }
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, S3Error> {
        let r = self.send(reqwest::Method::GET, key, None).await?;
        match r.status().as_u16() {
            200 => Ok(r.bytes().await.map_err(|e| S3Error::Unreachable(e.without_url().to_string()))?.to_vec()),
            404 => Err(S3Error::NotFound),
            s => Err(S3Error::Status(s)),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), S3Error> {
        let r = self.send(reqwest::Method::DELETE, key, None).await?;
        match r.status().as_u16() {
            200 | 204 | 404 => Ok(()),
            s => Err(S3Error::Status(s)),
        }
    }
}

impl S3Store {
    /// Every object in the bucket: (key, last modified), by ListObjectsV2 pages of 1000.
    pub async fn list(&self) -> Result<Vec<(String, DateTime<Utc>)>, S3Error> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = vec![("list-type".to_string(), "2".to_string()), ("max-keys".to_string(), "1000".to_string())];
            if let Some(t) = &token {
                q.push(("continuation-token".to_string(), t.clone()));
            }
            let r = self.send_query(reqwest::Method::GET, "", &q, None).await?;
            if !r.status().is_success() {
                return Err(S3Error::Status(r.status().as_u16()));
            }
            let xml = r.text().await.map_err(|e| S3Error::Unreachable(e.without_url().to_string()))?;
            for item in elements(&xml, "Contents") {
                let key = elements(item, "Key").first().map(|k| xml_text(k)).unwrap_or_default();
                let at = elements(item, "LastModified")
                    .first()
                    .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(Utc::now);
                if !key.is_empty() {
                    out.push((key, at));
                }
            }
            let more = elements(&xml, "IsTruncated").first().is_some_and(|t| t.trim() == "true");
            token = elements(&xml, "NextContinuationToken").first().map(|t| xml_text(t));
            if !more || token.is_none() {
                return Ok(out);
            }
        }
    }
}

/// The contents of each `<name>…</name>` in `xml` (flat: S3's listing has no nesting of the
/// same name).
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = vec![];
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(&after[..j]);
        rest = &after[j + close.len()..];
    }
    out
}

/// XML text with its five predefined entities decoded (nothing else is expanded).
fn xml_text(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example "GET Object" of the S3 documentation (Signature Version 4,
    /// "Examples: Signature Calculations in AWS Signature Version 4", header-based auth).
    #[test]
    fn signs_the_documented_get_object_example() {
        let at: DateTime<Utc> = "2013-05-24T00:00:00Z".parse().unwrap();
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let headers = vec![
            ("host".to_string(), "examplebucket.s3.amazonaws.com".to_string()),
            ("range".to_string(), "bytes=0-9".to_string()),
            ("x-amz-content-sha256".to_string(), empty.to_string()),
            ("x-amz-date".to_string(), "20130524T000000Z".to_string()),
        ];
        let auth = authorization(
            &ToSign { method: "GET", path: "/test.txt", query: &[], headers: &headers, payload_sha256: empty },
            &Signer {
                region: "us-east-1",
                access_key: "AKIAIOSFODNN7EXAMPLE",
                secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            },
            at,
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn listings_are_read_without_expanding_anything_but_the_five_entities() {
        let xml = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>ab</Key>\
                   <LastModified>2026-11-30T01:02:03.000Z</LastModified></Contents><Contents><Key>c&amp;d</Key>\
                   <LastModified>bad</LastModified></Contents><NextContinuationToken>x&lt;y</NextContinuationToken></ListBucketResult>";
        let items = elements(xml, "Contents");
        assert_eq!(items.len(), 2);
        assert_eq!(xml_text(elements(items[1], "Key")[0]), "c&d");
        assert_eq!(xml_text(elements(xml, "NextContinuationToken")[0]), "x<y");
        assert_eq!(xml_text("&amp;lt;"), "&lt;", "decoded once");
    }

    #[test]
    fn paths_are_encoded_as_sigv4_wants() {
        assert_eq!(uri_encode("/b/a key+é", true), "/b/a%20key%2B%C3%A9");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
    }
}
