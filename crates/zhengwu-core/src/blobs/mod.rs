//! Where uploaded files live: a blob store with a local-directory implementation (the default,
//! under the data directory) and an S3-compatible one ([`s3`]).
//!
//! Rules every implementation keeps: the stored name (the key) is random, never derived from
//! what the user sent; the type is decided by the content's first bytes, not by the file name
//! or the browser's claim; the size limit is enforced while the bytes stream in, so an upload
//! over the limit is cut off without filling memory or disk; the SM3 digest is computed on the
//! way and stored with the case.

pub mod s3;
pub mod seal;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use tokio::io::AsyncWriteExt;
use zhengwu_crypto::{sm4gcm::Sm4Key, to_hex, Sm3Hasher};
use zhengwu_types::services::FileType;

/// Bytes needed to recognise a type.
const SNIFF_LEN: usize = 8;

#[derive(Debug, Clone)]
pub enum BlobStore {
    /// Files under `root/<2 hex>/<key>`; partial uploads under `root/tmp` until finished.
    Local { root: PathBuf, key: Arc<Sm4Key> },
    /// Objects `<key>` in a bucket; uploads are received into `staging` (checked, digested,
    /// sealed) and sent whole once complete, so a refused upload never reaches the bucket.
    S3 { store: Arc<s3::S3Store>, staging: PathBuf, key: Arc<Sm4Key> },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlobError {
    #[error("文件超过 {} 的大小限制", size_text(*limit))]
    TooLarge { limit: u64 },
    #[error("文件类型不符合要求（按文件内容识别），可上传：{allowed}")]
    BadType { allowed: String },
    #[error("文件是空的")]
    Empty,
    #[error("blob store: {0}")]
    Io(String),
    /// The stored bytes are not what was uploaded (altered, cut, or sealed for another file).
    #[error("blob store: stored file fails its integrity check")]
    Corrupt,
}

pub use zhengwu_types::services::{size_text, types_text};

impl From<s3::S3Error> for BlobError {
    fn from(e: s3::S3Error) -> Self {
        BlobError::Io(e.to_string())
    }
}

impl From<std::io::Error> for BlobError {
    fn from(e: std::io::Error) -> Self {
        BlobError::Io(e.kind().to_string())
    }
}

/// A file now in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub key: String,
    pub size: u64,
    pub sm3: String,
    pub file_type: FileType,
}

pub(crate) fn valid_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Directories only the server's user may enter, files only it may read (0700 / 0600).
pub(crate) async fn private_dir(dir: &Path) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tokio::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).await?;
    }
    Ok(())
}

async fn create_private_file(path: &Path) -> std::io::Result<tokio::fs::File> {
    let mut o = tokio::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    o.mode(0o600);
    o.open(path).await
}

impl BlobStore {
    /// A store under `root`, sealing with `key` (the blob purpose key of the master key).
    pub fn local(root: impl Into<PathBuf>, key: Sm4Key) -> Self {
        BlobStore::Local { root: root.into(), key: Arc::new(key) }
    }

    pub fn s3(config: s3::S3Config, staging: impl Into<PathBuf>, key: Sm4Key) -> Self {
        BlobStore::S3 { store: Arc::new(s3::S3Store::new(config)), staging: staging.into(), key: Arc::new(key) }
    }

    fn seal_key(&self) -> &Sm4Key {
        match self {
            BlobStore::Local { key, .. } | BlobStore::S3 { key, .. } => key,
        }
    }

    /// Where partial uploads are written.
    pub(crate) fn staging(&self) -> PathBuf {
        match self {
            BlobStore::Local { root, .. } => root.join("tmp"),
            BlobStore::S3 { staging, .. } => staging.clone(),
        }
    }

    fn path_of(root: &Path, key: &str) -> PathBuf {
        root.join(&key[..2]).join(key)
    }

    /// Starts receiving one file of at most `limit` bytes of one of the `accept` types.
    pub async fn writer(&self, limit: u64, accept: &[FileType]) -> Result<BlobWriter, BlobError> {
        let mut b = [0u8; 16];
        zhengwu_crypto::random_bytes(&mut b);
        let key = to_hex(&b);
        let tmp_dir = self.staging();
        private_dir(&tmp_dir).await?;
        let tmp = tmp_dir.join(&key);
        let mut file = create_private_file(&tmp).await?;
        file.write_all(&seal::header()).await?;
        Ok(BlobWriter {
            store: self.clone(),
            sealer: Some(seal::Sealer::new(self.seal_key().clone(), &key)),
            key,
            tmp: Some(tmp),
            file: Some(file),
            limit,
            accept: accept.to_vec(),
            size: 0,
            head: Vec::with_capacity(SNIFF_LEN),
            file_type: None,
            hasher: Sm3Hasher::new(),
        })
    }

    async fn read_stored(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        if !valid_key(key) {
            return Err(BlobError::Io("invalid key".into()));
        }
        match self {
            BlobStore::Local { root, .. } => Ok(tokio::fs::read(Self::path_of(root, key)).await?),
            BlobStore::S3 { store, .. } => Ok(store.get(key).await?),
        }
    }

    /// The whole file in clear, checked against the SM3 digest taken at upload. Files here are
    /// small (limits are in megabytes), so reading them at once keeps the download code simple.
    /// Files stored before sealing existed are read as they are, and only if their digest holds.
    pub async fn read(&self, key: &str, sm3_hex: &str) -> Result<Vec<u8>, BlobError> {
        let stored = self.read_stored(key).await?;
        let clear = if seal::is_sealed(&stored) {
            seal::open(self.seal_key(), key, &stored).map_err(|_| BlobError::Corrupt)?
        } else {
            stored
        };
        if !zhengwu_crypto::constant_time_eq(to_hex(&zhengwu_crypto::sm3(&clear)).as_bytes(), sm3_hex.as_bytes()) {
            return Err(BlobError::Corrupt);
        }
        Ok(clear)
    }

    /// Whether the stored object is in the sealed format (for `zhengwu blobs check`).
    pub async fn is_sealed(&self, key: &str) -> Result<bool, BlobError> {
        Ok(seal::is_sealed(&self.read_stored(key).await?))
    }

    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        if !valid_key(key) {
            return Err(BlobError::Io("invalid key".into()));
        }
        match self {
            BlobStore::Local { root, .. } => match tokio::fs::remove_file(Self::path_of(root, key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            BlobStore::S3 { store, .. } => Ok(store.delete(key).await?),
        }
    }

    /// Every stored object with when it was last written (for the sweep and the check).
    pub async fn list(&self) -> Result<Vec<(String, DateTime<Utc>)>, BlobError> {
        match self {
            BlobStore::Local { root, .. } => {
                let mut out = vec![];
                let mut dirs = match tokio::fs::read_dir(root).await {
                    Ok(d) => d,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(e.into()),
                };
                while let Some(d) = dirs.next_entry().await? {
                    let name = d.file_name().to_string_lossy().to_string();
                    if name.len() != 2 || !d.file_type().await?.is_dir() {
                        continue;
                    }
                    let mut files = tokio::fs::read_dir(d.path()).await?;
                    while let Some(f) = files.next_entry().await? {
                        let key = f.file_name().to_string_lossy().to_string();
                        if valid_key(&key) {
                            let at = f
                                .metadata()
                                .await?
                                .modified()
                                .map(DateTime::<Utc>::from)
                                .unwrap_or_else(|_| Utc::now());
                            out.push((key, at));
                        }
                    }
                }
                Ok(out)
            }
            BlobStore::S3 { store, .. } => Ok(store.list().await?.into_iter().filter(|(k, _)| valid_key(k)).collect()),
        }
    }

    /// Whether the store answers (start-up check): the local directory can be created (and is
    /// made private), or the bucket can be written and read.
    pub async fn check(&self) -> Result<(), BlobError> {
        if let BlobStore::Local { root, .. } = self {
            private_dir(root).await?;
        }
        private_dir(&self.staging()).await?;
        if let BlobStore::S3 { store, .. } = self {
            let probe = "00000000000000000000000000000000";
            store.put(probe, b"zhengwu start-up check".to_vec()).await?;
            store.get(probe).await?;
            store.delete(probe).await?;
        }
        Ok(())
    }
}

/// One file being received: checked and digested in clear, sealed chunk by chunk on its way to
/// disk. Dropped before [`BlobWriter::finish`], its partial file is removed.
pub struct BlobWriter {
    store: BlobStore,
    key: String,
    sealer: Option<seal::Sealer>,
    tmp: Option<PathBuf>,
    file: Option<tokio::fs::File>,
    limit: u64,
    accept: Vec<FileType>,
    size: u64,
    head: Vec<u8>,
    file_type: Option<FileType>,
    hasher: Sm3Hasher,
}

impl BlobWriter {
    /// Takes the next piece. Fails as soon as the limit is passed or the first bytes show a
    /// type not accepted; the caller stops reading the upload then.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(BlobError::TooLarge { limit: self.limit });
        }
        if self.file_type.is_none() {
            let need = SNIFF_LEN - self.head.len();
            self.head.extend_from_slice(&chunk[..need.min(chunk.len())]);
            if self.head.len() == SNIFF_LEN {
                self.decide_type()?;
            }
        }
        self.hasher.update(chunk);
        let sealed = self.sealer.as_mut().ok_or_else(|| BlobError::Io("closed".into()))?.push(chunk);
        let file = self.file.as_mut().ok_or_else(|| BlobError::Io("closed".into()))?;
        file.write_all(&sealed).await?;
        Ok(())
    }

    fn decide_type(&mut self) -> Result<(), BlobError> {
        match FileType::sniff(&self.head) {
            Some(t) if self.accept.contains(&t) => {
                self.file_type = Some(t);
                Ok(())
            }
            _ => Err(BlobError::BadType { allowed: types_text(&self.accept) }),
        }
    }

    /// The file is complete: its last chunk sealed, flushed to disk and moved to its place.
    pub async fn finish(mut self) -> Result<StoredBlob, BlobError> {
        if self.size == 0 {
            return Err(BlobError::Empty);
        }
        if self.file_type.is_none() {
            self.decide_type()?;
        }
        let last = self.sealer.take().ok_or_else(|| BlobError::Io("closed".into()))?.finish();
        let mut file = self.file.take().ok_or_else(|| BlobError::Io("closed".into()))?;
        file.write_all(&last).await?;
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        match &self.store {
            BlobStore::Local { root, .. } => {
                let dest = BlobStore::path_of(root, &self.key);
                if let Some(parent) = dest.parent() {
                    private_dir(parent).await?;
                }
                let tmp = self.tmp.take().ok_or_else(|| BlobError::Io("closed".into()))?;
                tokio::fs::rename(&tmp, &dest).await?;
            }
            BlobStore::S3 { store, .. } => {
                // Limits are megabytes: the checked, sealed file is sent whole, then the staging
                // copy goes (by Drop, also when sending fails).
                let tmp = self.tmp.clone().ok_or_else(|| BlobError::Io("closed".into()))?;
                let bytes = tokio::fs::read(&tmp).await?;
                store.put(&self.key, bytes).await?;
            }
        }
        let hasher = std::mem::take(&mut self.hasher);
        Ok(StoredBlob {
            key: self.key.clone(),
            size: self.size,
            sm3: to_hex(&hasher.finish()),
            file_type: self.file_type.ok_or(BlobError::BadType { allowed: types_text(&self.accept) })?,
        })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            self.file.take();
            let _ = std::fs::remove_file(tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str) -> (BlobStore, PathBuf) {
        let dir = std::env::temp_dir().join(format!("zw-blobs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        (BlobStore::local(&dir, Sm4Key::new([5; 16])), dir)
    }

    fn files_under(dir: &Path) -> usize {
        walk(dir).len()
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = vec![];
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    out.extend(walk(&p));
                } else {
                    out.push(p);
                }
            }
        }
        out
    }

    #[tokio::test]
    async fn a_file_is_stored_under_a_random_key_with_its_digest() {
        let (s, dir) = store("ok");
        let body = [b"%PDF-1.4\n".as_slice(), &[7u8; 5000]].concat();
        let mut w = s.writer(10_000, &[FileType::Pdf]).await.unwrap();
        for c in body.chunks(1000) {
            w.write(c).await.unwrap();
        }
        let b = w.finish().await.unwrap();
        assert_eq!(b.size, body.len() as u64);
        assert_eq!(b.file_type, FileType::Pdf);
        assert_eq!(b.sm3, to_hex(&zhengwu_crypto::sm3(&body)));
        assert!(valid_key(&b.key));
        assert_eq!(s.read(&b.key, &b.sm3).await.unwrap(), body);
        assert_eq!(files_under(&dir.join("tmp")), 0);
        // At rest: sealed, nothing of the content visible, readable by the owner only.
        let path = BlobStore::path_of(&dir, &b.key);
        let raw = std::fs::read(&path).unwrap();
        assert!(seal::is_sealed(&raw) && !raw.windows(8).any(|w| w == b"%PDF-1.4"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
        assert_eq!(s.read(&b.key, &"0".repeat(64)).await, Err(BlobError::Corrupt), "checked against its digest");
        assert_eq!(s.list().await.unwrap().iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), vec![b.key.clone()]);
        s.delete(&b.key).await.unwrap();
        assert!(s.read(&b.key, &b.sm3).await.is_err());
        assert!(s.read("../../etc/passwd", "").await.is_err(), "keys are checked, never paths");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_stored_file_from_before_sealing_is_read_when_its_digest_holds() {
        let (s, dir) = store("legacy");
        let key = "ab".to_string() + &"0".repeat(30);
        std::fs::create_dir_all(dir.join("ab")).unwrap();
        std::fs::write(BlobStore::path_of(&dir, &key), b"%PDF-1.4 old").unwrap();
        let digest = to_hex(&zhengwu_crypto::sm3(b"%PDF-1.4 old"));
        assert_eq!(s.read(&key, &digest).await.unwrap(), b"%PDF-1.4 old");
        assert!(!s.is_sealed(&key).await.unwrap());
        std::fs::write(BlobStore::path_of(&dir, &key), b"%PDF-1.4 swapped").unwrap();
        assert_eq!(s.read(&key, &digest).await, Err(BlobError::Corrupt));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn over_the_limit_is_cut_off_and_leaves_nothing() {
        let (s, dir) = store("big");
        let mut w = s.writer(4096, &[FileType::Png]).await.unwrap();
        w.write(b"\x89PNG\r\n\x1a\n").await.unwrap();
        let mut err = None;
        for _ in 0..100 {
            if let Err(e) = w.write(&[0u8; 1024]).await {
                err = Some(e);
                break;
            }
        }
        assert_eq!(err, Some(BlobError::TooLarge { limit: 4096 }));
        drop(w);
        assert_eq!(files_under(&dir), 0, "the partial file is removed");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_content_decides_the_type() {
        let (s, dir) = store("type");
        // An executable named "photo.jpg" is still an executable.
        let mut w = s.writer(4096, &[FileType::Jpeg, FileType::Pdf]).await.unwrap();
        let bad = Err(BlobError::BadType { allowed: "JPG、PDF".into() });
        assert_eq!(w.write(b"MZ\x90\x00\x03\x00\x00\x00rest").await, bad);
        drop(w);
        // A PNG where only PDF is accepted.
        let mut w = s.writer(4096, &[FileType::Pdf]).await.unwrap();
        assert_eq!(w.write(b"\x89PNG\r\n\x1a\nxxxx").await, Err(BlobError::BadType { allowed: "PDF".into() }));
        drop(w);
        // Too short to be anything.
        let mut w = s.writer(4096, &[FileType::Pdf]).await.unwrap();
        w.write(b"%PD").await.unwrap();
        assert_eq!(w.finish().await, Err(BlobError::BadType { allowed: "PDF".into() }));
        let w = s.writer(4096, &[FileType::Pdf]).await.unwrap();
        assert_eq!(w.finish().await, Err(BlobError::Empty));
        assert_eq!(files_under(&dir), 0);
        let _ = std::fs::remove_dir_all(dir);
    }
}
