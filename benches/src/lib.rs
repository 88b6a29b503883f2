//! criterion benchmarks for ajo; run them with `cargo bench -p ajo-benches`. The figures
//! are recorded in `docs/performance.md`.
