//! The calculator's JSON input for loans, groups (rotation), penalties and APRs: any text is an
//! answer or an `error: ...`, never a panic. The calculator's own modules are compiled in
//! as they are, so this is the code the `calc` example runs.
#![no_main]

#[path = "../../examples/calc/apr.rs"]
mod apr;
#[path = "../../examples/calc/chart.rs"]
#[allow(dead_code)] // `--chart` writes a file: not fuzzed
mod chart;
#[path = "../../examples/calc/input.rs"]
mod input;
#[path = "../../examples/calc/loan.rs"]
mod loan;
#[path = "../../examples/calc/penalty.rs"]
mod penalty;
#[path = "../../examples/calc/rotation.rs"]
mod rotation;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, &str)| {
    let (command, text) = input;
    let _ = match command % 5 {
        0 => loan::run(text, &[]),
        1 => loan::run(text, &["--table".to_owned()]),
        2 => rotation::run(text),
        3 => penalty::run(text),
        _ => apr::run(text),
    };
});
