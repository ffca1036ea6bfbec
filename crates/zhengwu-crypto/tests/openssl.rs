//! An independent check: SM3 and HMAC-SM3 agree with OpenSSL's implementation on inputs of
//! many lengths, including keys shorter than, equal to and longer than the 64-byte block, and
//! messages around block boundaries. OpenSSL (≥ 3.0, Debian's `openssl` package) is required.

use std::{io::Write, process::Command};

use zhengwu_crypto::{hmac_sm3, sm3, to_hex};

fn openssl(args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl (Debian package openssl) is needed for the independent check");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?} failed");
    let text = String::from_utf8(out.stdout).unwrap();
    // "SM3(stdin)= <hex>" for dgst; bare upper-case hex for mac.
    text.rsplit(' ').next().unwrap().trim().to_ascii_lowercase()
}

/// Deterministic bytes, so a failure can be reproduced.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[test]
fn sm3_agrees_with_openssl() {
    for len in [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 128, 1000] {
        let data = bytes(len, 7);
        assert_eq!(to_hex(&sm3(&data)), openssl(&["dgst", "-sm3"], &data), "length {len}");
    }
}

#[test]
fn hmac_sm3_agrees_with_openssl() {
    for key_len in [1, 16, 32, 63, 64, 65, 100] {
        for msg_len in [0, 5, 64, 200] {
            let key = bytes(key_len, 3);
            let msg = bytes(msg_len, 11);
            let hexkey = format!("hexkey:{}", to_hex(&key));
            let theirs = openssl(&["mac", "-digest", "SM3", "-macopt", &hexkey, "HMAC"], &msg);
            assert_eq!(to_hex(&hmac_sm3(&key, &[&msg])), theirs, "key {key_len} bytes, message {msg_len} bytes");
        }
    }
}
