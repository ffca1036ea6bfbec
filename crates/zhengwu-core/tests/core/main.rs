//! The core crate's integration tests, in one binary (one link on a small machine): each
//! module is one domain, run on SQLite and on PostgreSQL (`on_both!`); `common` holds the
//! fixtures they share.

mod audit;
mod blobs_s3;
mod cases;
mod citizen;
mod common;
mod database;
mod identity;
mod portal;
mod reauth;
mod two_person;
mod uploads;
mod workflow;
