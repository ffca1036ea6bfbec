//! The S3-compatible blob store against an independent S3 implementation (moto's server, which
//! scripts/test.sh starts; `ZHENGWU_TEST_S3_URL`). Skipped when none answers, required in CI.

use secrecy::SecretString;
use zhengwu_core::blobs::{
    s3::{S3Config, S3Store},
    BlobError, BlobStore,
};
use zhengwu_types::services::FileType;

fn endpoint() -> Option<url::Url> {
    let u = std::env::var("ZHENGWU_TEST_S3_URL").ok()?;
    url::Url::parse(&u).ok()
}

fn config(endpoint: url::Url, bucket: &str) -> S3Config {
    S3Config {
        endpoint,
        bucket: bucket.into(),
        region: "us-east-1".into(),
        access_key: "zhengwu-test".into(),
        secret_key: SecretString::from("zhengwu-test-secret"),
    }
}

#[tokio::test]
async fn files_go_to_the_bucket_and_refused_ones_never_do() {
    let Some(ep) = endpoint() else {
        eprintln!("ZHENGWU_TEST_S3_URL not set: S3 test skipped");
        return;
    };
    let bucket = format!("zw-test-{}", std::process::id());
    S3Store::new(config(ep.clone(), &bucket)).create_bucket().await.expect("bucket created");
    let staging = zhengwu_core::testing::temp_dir("s3-staging");
    let key = || zhengwu_crypto::sm4gcm::Sm4Key::new([6; 16]);
    let store = BlobStore::s3(config(ep.clone(), &bucket), &staging, key());
    store.check().await.expect("the start-up check writes, reads and deletes");

    let body = [b"%PDF-1.7\n".as_slice(), &vec![42u8; 300_000]].concat();
    let mut w = store.writer(1 << 20, &[FileType::Pdf]).await.unwrap();
    for c in body.chunks(64 * 1024) {
        w.write(c).await.unwrap();
    }
    let stored = w.finish().await.unwrap();
    assert_eq!(store.read(&stored.key, &stored.sm3).await.unwrap(), body, "the same bytes back");
    assert_eq!(stored.sm3, zhengwu_crypto::to_hex(&zhengwu_crypto::sm3(&body)));
    // In the bucket the object is sealed: its bytes show nothing of the file.
    let raw = S3Store::new(config(ep, &bucket)).get(&stored.key).await.unwrap();
    assert!(raw.starts_with(b"ZWB\x01") && !raw.windows(9).any(|w| w == b"%PDF-1.7\n"));
    assert!(store.is_sealed(&stored.key).await.unwrap());
    assert_eq!(
        store.list().await.unwrap().iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        vec![stored.key.as_str()]
    );
    store.delete(&stored.key).await.unwrap();
    assert!(matches!(store.read(&stored.key, &stored.sm3).await, Err(BlobError::Io(_))), "deleted");
    assert!(store.list().await.unwrap().is_empty());

    let mut w = store.writer(1 << 20, &[FileType::Pdf]).await.unwrap();
    assert_eq!(w.write(b"MZ\x90\x00\x03\x00\x00\x00").await, Err(BlobError::BadType { allowed: "PDF".into() }));
    drop(w);
    let mut w = store.writer(1024, &[FileType::Pdf]).await.unwrap();
    assert!(matches!(w.write(&[b'%'; 2048]).await, Err(BlobError::TooLarge { .. })));
    drop(w);
    let left: Vec<_> = std::fs::read_dir(&staging).unwrap().collect();
    assert!(left.is_empty(), "nothing left in staging");
    let _ = std::fs::remove_dir_all(staging);
}

#[tokio::test]
async fn an_unreachable_store_is_an_error_not_a_hang() {
    let store = BlobStore::s3(
        config(url::Url::parse("http://127.0.0.1:9").unwrap(), "nowhere"),
        std::env::temp_dir().join("zw-s3-unreachable"),
        zhengwu_crypto::sm4gcm::Sm4Key::new([6; 16]),
    );
    let e = store.check().await.unwrap_err();
    assert!(e.to_string().contains("unreachable"), "{e}");
}
