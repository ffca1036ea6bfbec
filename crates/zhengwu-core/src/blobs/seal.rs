//! Attachments sealed at rest: SM4-GCM over 64 KiB chunks, so a file is sealed as it streams in
//! and never sits in the store in clear.
//!
//! Format (`ZWB1`):
//! ```text
//! "ZWB" 0x01 ‖ chunk size (u32, big-endian) ‖ chunk 0 ‖ chunk 1 ‖ … ‖ chunk n
//! chunk i = sm4gcm::seal(key, plaintext_i, aad_i)      (version ‖ nonce ‖ ciphertext ‖ tag)
//! aad_i   = "zhengwu/blob\0" ‖ blob key ‖ "\0" ‖ i (u64, big-endian) ‖ final (1 byte)
//! ```
//! Every chunk but the last holds exactly `chunk size` bytes of plaintext. The associated data
//! binds each chunk to its file (the random blob key), its position and whether it is the last,
//! so chunks cannot be swapped between files, reordered, dropped, or the file cut at a chunk
//! boundary without the open failing. The key is the blob purpose key derived from the master
//! key (never stored with the files).

use zhengwu_crypto::sm4gcm::{self, Sm4Key, NONCE_LEN, TAG_LEN};

pub const MAGIC: &[u8; 4] = b"ZWB\x01";
pub const CHUNK: usize = 64 * 1024;
const HEADER_LEN: usize = 8;
/// What sealing adds to each chunk: the version byte, the nonce and the tag.
const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

fn aad(blob_key: &str, index: u64, last: bool) -> Vec<u8> {
    let mut a = Vec::with_capacity(13 + blob_key.len() + 10);
    a.extend_from_slice(b"zhengwu/blob\0");
    a.extend_from_slice(blob_key.as_bytes());
    a.push(0);
    a.extend_from_slice(&index.to_be_bytes());
    a.push(u8::from(last));
    a
}

/// The header every sealed file starts with.
pub fn header() -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..4].copy_from_slice(MAGIC);
    h[4..].copy_from_slice(&(CHUNK as u32).to_be_bytes());
    h
}

/// Whether stored bytes are in the sealed format (files stored before sealing are not).
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(MAGIC)
}

/// Seals a stream chunk by chunk. Feed it with [`Sealer::push`]; it hands back sealed bytes
/// to write as soon as a chunk is known not to be the last, and [`Sealer::finish`] seals the
/// last one.
pub struct Sealer {
    key: Sm4Key,
    blob_key: String,
    index: u64,
    pending: Vec<u8>,
}

impl Sealer {
    pub fn new(key: Sm4Key, blob_key: &str) -> Self {
        Sealer { key, blob_key: blob_key.to_string(), index: 0, pending: Vec::with_capacity(CHUNK) }
    }

    /// Takes plaintext; returns sealed bytes ready to be written (possibly none). A full chunk
    /// is kept back until more data shows it is not the last one.
    pub fn push(&mut self, mut data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        while !data.is_empty() {
            if self.pending.len() == CHUNK {
                out.extend_from_slice(&self.seal_pending(false));
            }
            let take = (CHUNK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        out
    }

    fn seal_pending(&mut self, last: bool) -> Vec<u8> {
        let sealed = sm4gcm::seal(&self.key, &self.pending, &aad(&self.blob_key, self.index, last));
        self.index += 1;
        self.pending.clear();
        sealed
    }

    /// The last chunk, sealed as the last.
    pub fn finish(mut self) -> Vec<u8> {
        self.seal_pending(true)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the stored file does not decrypt (altered, cut, or sealed under another key or for another file)")]
pub struct OpenError;

/// The plaintext of a sealed file.
pub fn open(key: &Sm4Key, blob_key: &str, stored: &[u8]) -> Result<Vec<u8>, OpenError> {
    if stored.len() < HEADER_LEN || !is_sealed(stored) {
        return Err(OpenError);
    }
    let chunk = u32::from_be_bytes(stored[4..8].try_into().map_err(|_| OpenError)?) as usize;
    if chunk == 0 || chunk > 16 * 1024 * 1024 {
        return Err(OpenError);
    }
    let sealed_chunk = chunk + OVERHEAD;
    let mut rest = &stored[HEADER_LEN..];
    let mut out = Vec::with_capacity(rest.len());
    let mut index = 0u64;
    loop {
        let last = rest.len() <= sealed_chunk;
        let (this, next) = rest.split_at(rest.len().min(sealed_chunk));
        let plain = sm4gcm::open(key, this, &aad(blob_key, index, last)).map_err(|_| OpenError)?;
        if !last && plain.len() != chunk {
            return Err(OpenError);
        }
        out.extend_from_slice(&plain);
        if last {
            return Ok(out);
        }
        rest = next;
        index += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn seal_all(data: &[u8], pieces: usize) -> Vec<u8> {
        let mut s = Sealer::new(Sm4Key::new([3; 16]), KEY);
        let mut out = header().to_vec();
        for p in data.chunks(pieces.max(1)) {
            out.extend(s.push(p));
        }
        out.extend(s.finish());
        out
    }

    #[test]
    fn round_trips_whatever_the_piece_sizes() {
        let k = Sm4Key::new([3; 16]);
        for len in [1usize, 100, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            for pieces in [1usize, 1000, CHUNK, 5 * CHUNK] {
                let sealed = seal_all(&data, pieces);
                assert!(is_sealed(&sealed));
                assert_eq!(open(&k, KEY, &sealed).unwrap(), data, "len {len}, pieces {pieces}");
                // Nothing of the plaintext is visible.
                if len >= 64 {
                    assert!(!sealed.windows(32).any(|w| w == &data[..32]));
                }
            }
        }
    }

    #[test]
    fn another_key_file_order_or_a_cut_does_not_open() {
        let k = Sm4Key::new([3; 16]);
        let data = vec![5u8; 2 * CHUNK + 10];
        let sealed = seal_all(&data, 4096);
        assert_eq!(open(&Sm4Key::new([4; 16]), KEY, &sealed), Err(OpenError));
        assert_eq!(open(&k, "ffffffffffffffffffffffffffffffff", &sealed), Err(OpenError), "bound to its blob key");
        // Cut after the first two chunks: they were not sealed as the last.
        let whole = CHUNK + OVERHEAD;
        assert_eq!(open(&k, KEY, &sealed[..HEADER_LEN + 2 * whole]), Err(OpenError));
        assert_eq!(open(&k, KEY, &sealed[..sealed.len() - 1]), Err(OpenError));
        // Swap the first two chunks.
        let mut swapped = sealed.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + whole);
        let first = sealed[a..b].to_vec();
        swapped[a..b].copy_from_slice(&sealed[b..b + whole]);
        swapped[b..b + whole].copy_from_slice(&first);
        assert_eq!(open(&k, KEY, &swapped), Err(OpenError));
        // A plain file is not sealed.
        assert!(!is_sealed(b"%PDF-1.4"));
        assert_eq!(open(&k, KEY, b"%PDF-1.4 plain"), Err(OpenError));
    }
}
