//! The image challenge (图形验证码) asked before an SMS code is sent once an address has asked
//! for a few: five digits drawn on the server as a PNG (no JavaScript, no third party), with a
//! spoken alternative (WAV) for people who cannot see it.
//!
//! A challenge is a row (`challenges`: random id, the answer sealed, expiry, attempts); it is
//! used once, right or wrong after [`ATTEMPTS`] tries. The picture's digits are moved, slanted
//! and crossed by noise so that a simple OCR does not read them; the sound puts each spoken
//! digit at a random gap with background noise.

use chrono::{DateTime, Duration, Utc};
use zhengwu_crypto::{
    sm4gcm::{self, Sm4Key},
    to_hex,
};

use crate::{db::Db, with_db, with_tx};

pub const TTL: Duration = Duration::minutes(5);
pub const ATTEMPTS: i32 = 3;
pub const LEN: usize = 5;

/// The 5×7 shapes of the digits 0–9, one row per byte (bit 4 = leftmost column).
const FONT: [[u8; 7]; 10] = [
    [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
    [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
    [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
    [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
    [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
    [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
    [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
    [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
    [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
    [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
];

pub const WIDTH: usize = 200;
pub const HEIGHT: usize = 70;

/// A small source of randomness for drawing (seeded from the OS; not for keys).
struct Noise(u64);

impl Noise {
    fn new() -> Self {
        let mut b = [0u8; 8];
        zhengwu_crypto::random_bytes(&mut b);
        Noise(u64::from_le_bytes(b) | 1)
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

/// Random digits for a new challenge.
pub fn new_answer() -> String {
    let mut b = [0u8; LEN];
    zhengwu_crypto::random_bytes(&mut b);
    b.iter().map(|x| char::from(b'0' + x % 10)).collect()
}

/// The picture of `answer`: a grey-scale PNG.
pub fn png(answer: &str) -> Vec<u8> {
    let mut n = Noise::new();
    let mut px = vec![255u8; WIDTH * HEIGHT];
    // Background speckle.
    for p in px.iter_mut() {
        *p = 225 + n.below(30) as u8;
    }
    let cell = WIDTH / (LEN + 1);
    for (i, ch) in answer.chars().take(LEN).enumerate() {
        let Some(d) = ch.to_digit(10) else { continue };
        let scale = n.range(5, 7);
        let x0 = (cell / 2 + i * cell) as i64 + n.range(-4, 4);
        let y0 = n.range(4, (HEIGHT as i64 - 7 * scale - 4).max(5));
        let slant = n.range(-3, 3); // pixels of shear per glyph row
        let ink = n.range(0, 90) as u8;
        for (row, bits) in FONT[d as usize].iter().enumerate() {
            for col in 0..5 {
                if bits & (0x10 >> col) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let x = x0 + col * scale + dx + slant * (3 - row as i64) / 2;
                        let y = y0 + row as i64 * scale + dy;
                        if (0..WIDTH as i64).contains(&x) && (0..HEIGHT as i64).contains(&y) {
                            px[y as usize * WIDTH + x as usize] = ink;
                        }
                    }
                }
            }
        }
    }
    // Crossing lines and dark dots.
    for _ in 0..4 {
        let (mut x, mut y) = (n.range(0, 20) as f64, n.range(5, HEIGHT as i64 - 5) as f64);
        let dy = (n.range(-40, 40) as f64) / WIDTH as f64;
        let shade = n.range(40, 140) as u8;
        while x < WIDTH as f64 {
            let (xi, yi) = (x as usize, y as usize);
            if yi < HEIGHT {
                px[yi * WIDTH + xi] = shade;
                if yi + 1 < HEIGHT {
                    px[(yi + 1) * WIDTH + xi] = shade;
                }
            }
            x += 1.0;
            y += dy;
        }
    }
    for _ in 0..250 {
        let i = n.below((WIDTH * HEIGHT) as u64) as usize;
        px[i] = n.below(120) as u8;
    }
    encode_png(WIDTH, HEIGHT, &px)
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for p in parts {
        for &b in *p {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
    }
    !c
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// An 8-bit grey-scale PNG; the image data in stored (uncompressed) deflate blocks: a few kB,
/// and no compression code to get wrong.
fn encode_png(w: usize, h: usize, px: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((w + 1) * h);
    for row in px.chunks(w) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = b.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit, grey, deflate, adaptive filtering, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The spoken digits of `answer` (8 kHz, 8-bit mono WAV), from the recorded digits shipped
/// with the program. Each digit is played at a random speed (0.85–1.2×, which moves its pitch
/// too) and loudness, at random gaps, over noise and murmured other digits, so the sound is
/// never the same twice and the recordings cannot be found in it by plain matching. (No audio
/// challenge stops a determined program; the daily limits per address bound what one gets.)
pub fn wav(answer: &str) -> Vec<u8> {
    let mut n = Noise::new();
    let mut track: Vec<i32> = vec![0; 4000 + n.below(2000) as usize];
    for ch in answer.chars() {
        if let Some(d) = ch.to_digit(10) {
            let gain = 70 + n.below(31) as i32; // percent
            speak(&mut n, d as usize, gain, &mut track);
            let gap = 2400 + n.below(3200) as usize;
            track.extend(std::iter::repeat_n(0, gap));
        }
    }
    // Murmur: other digits, quietly, anywhere; and hiss.
    for _ in 0..answer.len() + 2 {
        let mut murmur = Vec::new();
        let (digit, gain) = (n.below(10) as usize, 12 + n.below(10) as i32);
        speak(&mut n, digit, gain, &mut murmur);
        let at = n.below(track.len().saturating_sub(murmur.len()).max(1) as u64) as usize;
        for (i, m) in murmur.into_iter().enumerate() {
            if let Some(t) = track.get_mut(at + i) {
                *t += m;
            }
        }
    }
    let hiss = 3 + n.below(6) as i64;
    let samples: Vec<u8> = track.iter().map(|&t| (128 + t + n.range(-hiss, hiss) as i32).clamp(0, 255) as u8).collect();
    let mut out = Vec::with_capacity(44 + samples.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    out.extend_from_slice(&samples);
    out
}

/// Appends digit `d` (centred on 0) at a random speed and `gain` percent, resampled linearly.
fn speak(n: &mut Noise, d: usize, gain: i32, out: &mut Vec<i32>) {
    let src = voice::digit(d);
    let rate = 850 + n.below(351) as usize; // source samples per 1000 output samples
    let len = src.len() * 1000 / rate;
    for i in 0..len {
        let pos = i * rate;
        let (k, frac) = (pos / 1000, (pos % 1000) as i32);
        let a = i32::from(src[k.min(src.len() - 1)]) - 128;
        let b = i32::from(src[(k + 1).min(src.len() - 1)]) - 128;
        out.push((a * (1000 - frac) + b * frac) / 1000 * gain / 100);
    }
}

mod voice {
    /// Each digit 零…九 spoken (Mandarin), 8 kHz unsigned 8-bit PCM.
    const DIGITS: [&[u8]; 10] = [
        include_bytes!("voice/0.pcm"),
        include_bytes!("voice/1.pcm"),
        include_bytes!("voice/2.pcm"),
        include_bytes!("voice/3.pcm"),
        include_bytes!("voice/4.pcm"),
        include_bytes!("voice/5.pcm"),
        include_bytes!("voice/6.pcm"),
        include_bytes!("voice/7.pcm"),
        include_bytes!("voice/8.pcm"),
        include_bytes!("voice/9.pcm"),
    ];

    pub fn digit(d: usize) -> &'static [u8] {
        DIGITS[d % 10]
    }
}

fn aad(id: &str) -> Vec<u8> {
    format!("challenges.answer\0{id}").into_bytes()
}

/// The challenge for `requester` (the client's address): its live one if it has one (so
/// reloading the page, or a script asking again and again, adds no rows), else a new one.
/// `fresh` (the citizen asked for another picture): a new one replaces the live one.
pub async fn create(
    db: &Db,
    key: &Sm4Key,
    requester: &str,
    fresh: bool,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query("DELETE FROM challenges WHERE expires_at < $1").bind(now).execute(conn).await.map(|_| ()))?;
    if fresh {
        with_tx!(&mut tx, conn => sqlx::query("DELETE FROM challenges WHERE requester = $1")
            .bind(requester).execute(conn).await.map(|_| ()))?;
    }
    let live: Option<String> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT id FROM challenges WHERE requester = $1 AND expires_at > $2 AND attempts < $3 ORDER BY expires_at DESC LIMIT 1")
        .bind(requester).bind(now).bind(ATTEMPTS).fetch_optional(conn).await)?;
    if let Some(id) = live {
        tx.commit().await?;
        return Ok(id);
    }
    let mut b = [0u8; 16];
    zhengwu_crypto::random_bytes(&mut b);
    let id = to_hex(&b);
    let answer = new_answer();
    with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO challenges (id, answer_sealed, attempts, expires_at, requester) VALUES ($1, $2, 0, $3, $4)")
        .bind(&id).bind(sm4gcm::seal(key, answer.as_bytes(), &aad(&id))).bind(now + TTL).bind(requester)
        .execute(conn).await.map(|_| ()))?;
    tx.commit().await?;
    Ok(id)
}

/// The answer of a live challenge shown to `requester`, to draw or speak it (the picture and
/// the sound of one challenge say the same digits). `None` for unknown, used or expired ids,
/// and for another address's challenge.
pub async fn answer(
    db: &Db,
    key: &Sm4Key,
    id: &str,
    requester: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let sealed: Option<Vec<u8>> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT answer_sealed FROM challenges WHERE id = $1 AND requester = $2 AND expires_at > $3")
        .bind(id).bind(requester).bind(now).fetch_optional(pool).await)?;
    Ok(sealed.and_then(|s| sm4gcm::open(key, &s, &aad(id)).ok()).and_then(|a| String::from_utf8(a.to_vec()).ok()))
}

/// Checks an answer from `requester`; the challenge is used up when right, and after
/// [`ATTEMPTS`] wrong ones.
pub async fn check(
    db: &Db,
    key: &Sm4Key,
    id: &str,
    given: &str,
    requester: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let given: String = given.chars().filter(|c| c.is_ascii_digit()).collect();
    let Some(expected) = answer(db, key, id, requester, now).await? else { return Ok(false) };
    let mut tx = db.begin_write().await?;
    let attempts: Option<i32> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT attempts FROM challenges WHERE id = $1").bind(id).fetch_optional(conn).await)?;
    let Some(attempts) = attempts else { return Ok(false) };
    let right = attempts < ATTEMPTS && zhengwu_crypto::constant_time_eq(given.as_bytes(), expected.as_bytes());
    if right || attempts + 1 >= ATTEMPTS {
        with_tx!(&mut tx, conn => sqlx::query("DELETE FROM challenges WHERE id = $1").bind(id).execute(conn).await.map(|_| ()))?;
    } else {
        with_tx!(&mut tx, conn => sqlx::query("UPDATE challenges SET attempts = attempts + 1 WHERE id = $1")
            .bind(id).execute(conn).await.map(|_| ()))?;
    }
    tx.commit().await?;
    Ok(right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picture_is_a_valid_png() {
        let p = png("40217");
        assert!(p.starts_with(b"\x89PNG\r\n\x1a\n"));
        // IHDR carries the size; every chunk's CRC holds.
        assert_eq!(&p[16..20], &(WIDTH as u32).to_be_bytes());
        let mut i = 8;
        while i < p.len() {
            let len = u32::from_be_bytes(p[i..i + 4].try_into().unwrap()) as usize;
            let kind = &p[i + 4..i + 8];
            let data = &p[i + 8..i + 8 + len];
            let crc = u32::from_be_bytes(p[i + 8 + len..i + 12 + len].try_into().unwrap());
            assert_eq!(crc, crc32(&[kind, data]));
            i += 12 + len;
        }
        assert_eq!(i, p.len());
        assert_ne!(png("40217"), png("40217"), "drawn differently each time");
    }

    #[test]
    fn the_sound_is_a_wav_with_every_digit() {
        let w = wav("12");
        assert!(w.starts_with(b"RIFF") && &w[8..16] == b"WAVEfmt ");
        let data = u32::from_le_bytes(w[40..44].try_into().unwrap()) as usize;
        assert_eq!(data + 44, w.len());
        // Played faster at most 1.2×: every digit's length is there, and more.
        assert!(data > (voice::digit(1).len() + voice::digit(2).len()) * 5 / 6);
        assert_eq!(new_answer().len(), LEN);
        // Never the same twice, and no recording appears verbatim (the attack that read the
        // first version: find each shipped digit in the sound by exact comparison).
        let (a, b) = (wav("12"), wav("12"));
        assert_ne!(a, b);
        let one = &voice::digit(1)[200..456];
        assert!(!a.windows(one.len()).any(|w| w.iter().zip(one).all(|(x, y)| x.abs_diff(*y) <= 2)));
    }
}
