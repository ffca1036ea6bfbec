//! `zhengwu`: one binary with subcommands (`serve`, `migrate`, `audit`, `calendar`, `staff`, `blobs`).

// The release build lays out the whole document's view type here too (as the library does).
#![recursion_limit = "256"]

use std::process::ExitCode;

use clap::Parser;
use zhengwu::shell::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(zhengwu::shell::start::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, naming the setting; no backtrace.
            eprintln!("error: {e}");
            match e {
                // Distinct from "could not run": the check ran and found tampering.
                zhengwu::shell::StartError::Tampered(_) | zhengwu::shell::StartError::BlobsFound(_) => {
                    ExitCode::from(2)
                }
                zhengwu::shell::StartError::NoCalendarData(_) => ExitCode::from(3),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
