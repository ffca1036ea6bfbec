//! The server's integration tests, in one binary: the HTTP routes, pages and forms against the
//! real router (`common::TestApp`), and the command line against the built binary. The sign-in
//! flood stays its own binary (`tests/flood.rs`): it measures a server process's memory and
//! should not share the machine with other tests.

mod admin_web;
mod catalogue_web;
mod citizen_web;
mod cli;
mod common;
mod console;
mod payloads;
mod portal;
mod service_hub;
mod services_web;
