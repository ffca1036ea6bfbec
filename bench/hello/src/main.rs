//! The baseline: a bare axum "hello" on the same runtime settings as Zhengwu. Every benchmark
//! figure is reported as a ratio to this one, measured in the same run on the same machine.

use axum::{routing::get, Router};

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3901".to_string());
    let app = Router::new().route("/", get(|| async { "hello" }));
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
