//! `calc`: ajo's arithmetic from the command line.
//!
//! Each subcommand reads one JSON object on stdin (the `inputs` shape of the matching
//! reference case file; for `apr`, an `AprRequest` as in `ajo-core/tests/data/apr.json`)
//! and prints the result as JSON on stdout. Amounts are strings,
//! always. Bad input prints `error: ...` on stderr and exits with status 2.
//!
//! ```text
//! echo '{"currency":"NGN","minor_units":2,"amount":"100.00","weights":["1","1","1"]}' \
//!   | cargo run -q -p ajo-examples --example calc -- split
//! {"parts":["33.34","33.33","33.33"]}
//! ```

mod apr;
mod chart;
mod eligibility;
mod input;
mod loan;
mod penalty;
mod rotation;
mod split;

use std::io::Read;
use std::process::ExitCode;

const USAGE: &str = "usage: calc <split|penalty|rotation|loan [--table|--chart FILE.svg]|eligibility|apr> < inputs.json";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // Only `loan` takes options (`--table`, `--chart FILE`).
    let flags: Vec<String> = args.collect();
    if !flags.is_empty() && command != "loan" {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut stdin = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut stdin) {
        eprintln!("error: cannot read stdin: {e}");
        return ExitCode::from(2);
    }
    let result = match command.as_str() {
        "split" => split::run(&stdin),
        "penalty" => penalty::run(&stdin),
        "rotation" => rotation::run(&stdin),
        "loan" => loan::run(&stdin, &flags),
        "eligibility" => eligibility::run(&stdin),
        "apr" => apr::run(&stdin),
        other => Err(format!("unknown subcommand {other:?}; {USAGE}")),
    };
    match result {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
