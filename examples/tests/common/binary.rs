//! The examples' binaries, built by the cargo running the tests and run as an operator
//! would run them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The example `name`'s executable (`admin`, `webhook_server`), built once per test run
/// by the cargo that runs the tests.
pub(crate) fn example(name: &'static str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<&str, PathBuf>> = Mutex::new(BTreeMap::new());
    // Held while building: cargo would only wait on its own lock for a second build.
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    built.entry(name).or_insert_with(|| build(name)).clone()
}

fn build(name: &str) -> PathBuf {
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "-q", "-p", "ajo-examples", "--example", name])
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    // Without what cargo set for this test: some build scripts (ring's) rerun when
    // CARGO_MANIFEST_DIR changes, so a build in this environment would rebuild much of
    // the tree, and the next plain `cargo` command would rebuild it back.
    for (key, _) in std::env::vars_os() {
        let set_for_test = key.to_str().is_some_and(|k| {
            k.starts_with("CARGO_PKG_")
                || matches!(
                    k,
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "CARGO_TARGET_TMPDIR"
                )
        });
        if set_for_test {
            cargo.env_remove(key);
        }
    }
    let output = cargo.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo build --example {name} failed"
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == name)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo names the {name} executable"))
}

/// What a run printed and its exit code.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `admin` with `args`, and `DATABASE_URL` only if `env_url` is given.
pub(crate) fn admin(args: &[&str], env_url: Option<&str>) -> Run {
    let mut command = Command::new(example("admin"));
    command.args(args).env_remove("DATABASE_URL");
    if let Some(url) = env_url {
        command.env("DATABASE_URL", url);
    }
    let output = command.output().unwrap();
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// `admin verify` on `schema` of the database at `url`: its exit code and its one line.
pub(crate) fn verify(url: &str, schema: &str) -> (i32, String) {
    let run = admin(&["--database-url", url, "--schema", schema, "verify"], None);
    assert_eq!(run.stdout.lines().count(), 1, "one line: {:?}", run.stdout);
    assert!(!run.stderr.contains(url), "the URL is never printed");
    (run.code, run.stdout.trim_end().to_owned())
}

/// Runs `calc` with `args` and `input` on its standard input, as a user pipes a case in:
/// its exit code, standard output and standard error.
pub(crate) fn calc(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(example("calc"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}
