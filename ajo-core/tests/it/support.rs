//! Loading the reference cases copied into `tests/data`.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub inputs: Value,
    pub expected: Value,
}

#[derive(Debug, Deserialize)]
struct CaseFile {
    cases: Vec<Case>,
}

pub fn cases(area: &str) -> Vec<Case> {
    let path = format!("{}/tests/data/{area}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let file: CaseFile = serde_json::from_str(&text).unwrap();
    assert!(!file.cases.is_empty(), "{path} has no cases");
    file.cases
}

pub fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {value}"))
}
