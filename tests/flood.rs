//! A sign-in flood against the real binary: 200 wrong sign-ins at once from 200 addresses (each
//! under the per-address limit) must leave the server's resident memory bounded — password
//! hashing runs at most one hash per core in reused memory — and every answer must be the usual
//! one (wrong credentials, or "busy" for those that waited too long), never a crash.
//! Before the bound, the same flood took the server from 62 MB to 3.5 GB.

use std::{
    io::{BufRead, BufReader},
    net::{IpAddr, Ipv4Addr, TcpListener},
    process::{Command, Stdio},
};

const BIN: &str = env!("CARGO_BIN_EXE_zhengwu");

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One wrong sign-in from `from`: the form (its cookie and token), then the post.
async fn wrong_sign_in(base: &str, from: IpAddr, i: usize) -> u16 {
    let client = reqwest::Client::builder()
        .local_address(from)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let Ok(form) = client.get(format!("{base}/login")).send().await else { return 0 };
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("zw_login="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap_or_default();
    let html = form.text().await.unwrap_or_default();
    let token = html.split(r#"name="csrf" value=""#).nth(1).and_then(|t| t.split('"').next()).unwrap_or("").to_string();
    let user = format!("flood{i}");
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", cookie)
        .header("origin", base)
        .form(&[("username", user.as_str()), ("password", "Wrong-2026!x"), ("csrf", &token), ("next", "/admin")])
        .send()
        .await;
    r.map(|r| r.status().as_u16()).unwrap_or(0)
}

async fn flood(base: &str, n: usize, offset: usize) -> Vec<u16> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let base = base.to_string();
            // 127.0.0.2 … : every request from its own loopback address.
            let k = i + offset + 2;
            let from = IpAddr::V4(Ipv4Addr::new(127, 0, (k / 250) as u8, (k % 250 + 2) as u8));
            tokio::spawn(async move { wrong_sign_in(&base, from, i).await })
        })
        .collect();
    let mut out = vec![];
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_flood_keeps_memory_bounded_and_every_answer_the_usual_one() {
    let dir = zhengwu_core::testing::temp_dir("zw_flood");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", &addr, "--data-dir", dir.to_str().unwrap(), "--demo"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        match line {
            Ok(l) if l.contains("listening on http://") => break,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let base = format!("http://{addr}");
    // Warm: one sign-in of each kind, so the steady state is what is measured.
    flood(&base, 4, 1000).await;
    let before = rss_kib(child.id());
    let answers = flood(&base, 200, 0).await;
    let after = rss_kib(child.id());
    let again = flood(&base, 200, 300).await;
    let after_again = rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
    eprintln!(
        "resident: {} MiB before, {} MiB after 200 wrong sign-ins, {} MiB after 200 more",
        before / 1024,
        after / 1024,
        after_again / 1024
    );
    // The usual answers: wrong credentials (422), or busy (503) for those that waited too long.
    assert!(answers.iter().chain(&again).all(|s| *s == 422 || *s == 503), "{answers:?}");
    assert!(answers.iter().filter(|s| **s == 422).count() >= 2, "some were checked");
    // Bounded: the hashing memory is one 19 MiB block per core, reused — whatever the flood.
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(16) as u64;
    let bound = cores * 19 * 1024 + 64 * 1024;
    assert!(after.saturating_sub(before) < bound, "grew {} KiB (bound {bound} KiB)", after - before);
    assert!(after_again.saturating_sub(after) < 32 * 1024, "a second flood grew {} KiB more", after_again - after);
}
