//! An operator's tool for ajo's books on PostgreSQL; the subcommands are in
//! `ajo_examples::admin`.
//!
//! ```text
//! cargo run -q -p ajo-examples --example admin -- verify
//! cargo run -q -p ajo-examples --example admin -- --schema ajo_quickstart verify
//! ```
//!
//! Exit codes: 0 the books hold, 1 a fault (printed on one line), 2 the tool could not
//! run (bad arguments, no database).

use std::process::ExitCode;

use ajo_examples::admin::{Cli, run};
use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // clap prints its own usage errors and exits with 2, as the tool's other errors do.
    run(Cli::parse()).await.into()
}
