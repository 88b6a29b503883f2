//! What a host's idempotency key was used for: a SHA-256 over a canonical JSON of the
//! command's name and arguments.
//!
//! Canonical so that the same command always gives the same fingerprint, whatever the
//! order serde happens to write an object's fields in (a `HashMap`, a feature that keeps
//! insertion order): objects are written with their keys sorted by their bytes, with no
//! whitespace; strings and numbers as `serde_json` writes them.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ports::StoreError;

/// The fingerprint of `command` run with `args`: SHA-256 of the canonical JSON of
/// `{"args": args, "command": command}`, in lowercase hex.
///
/// # Errors
/// [`StoreError::Corrupt`] if `args` cannot be written as JSON (a map keyed by something
/// other than text), as the stores say of a value they cannot write.
pub(crate) fn fingerprint<A: Serialize + ?Sized>(
    command: &str,
    args: &A,
) -> Result<String, StoreError> {
    let args = serde_json::to_value(args).map_err(|_| StoreError::Corrupt {
        reason: format!("the arguments of {command} could not be written as JSON"),
    })?;
    let mut text = String::new();
    canonical(
        &serde_json::json!({ "command": command, "args": args }),
        &mut text,
    );
    Ok(hex::encode(Sha256::digest(text.as_bytes())))
}

/// Writes `value` canonically into `out`.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut fields: Vec<(&String, &Value)> = map.iter().collect();
            fields.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (n, (key, value)) in fields.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        // Strings escaped, numbers, booleans and null exactly as serde_json writes them.
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    fn text(value: &Value) -> String {
        let mut out = String::new();
        canonical(value, &mut out);
        out
    }

    #[test]
    fn objects_are_written_with_sorted_keys_and_no_whitespace() {
        let value = serde_json::json!({"b": [1, {"z": null, "a": "x\"y"}], "a": true});
        assert_eq!(text(&value), r#"{"a":true,"b":[1,{"a":"x\"y","z":null}]}"#);
    }

    #[test]
    fn the_same_command_gives_the_same_fingerprint_whatever_the_field_order() {
        let mut one = HashMap::new();
        let mut other = HashMap::new();
        for n in 0..50 {
            one.insert(format!("k{n}"), n);
        }
        for n in (0..50).rev() {
            other.insert(format!("k{n}"), n);
        }
        let first = fingerprint("start", &one).unwrap();
        assert_eq!(first, fingerprint("start", &other).unwrap());
        assert_eq!(first.len(), 64);
        assert!(
            first
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn another_command_or_other_arguments_give_another_fingerprint() {
        let args = serde_json::json!({"group": "g1", "round": 1, "hand": 1});
        let base = fingerprint("request_contribution", &args).unwrap();
        assert_ne!(base, fingerprint("start", &args).unwrap());
        for changed in [
            serde_json::json!({"group": "g1", "round": 2, "hand": 1}),
            serde_json::json!({"group": "g1", "round": 1, "hand": 2}),
            serde_json::json!({"group": "g1", "round": 1}),
            serde_json::json!({"group": "g1", "round": "1", "hand": 1}),
        ] {
            assert_ne!(base, fingerprint("request_contribution", &changed).unwrap());
        }
        // A name and arguments cannot be shifted into each other.
        assert_ne!(
            fingerprint("ab", &"c").unwrap(),
            fingerprint("a", &"bc").unwrap()
        );
    }

    #[test]
    fn a_known_command_has_a_known_fingerprint() {
        // sha256 of {"args":{"group":"g1"},"command":"start"}: the form is fixed, since
        // stored keys are compared with it.
        assert_eq!(
            fingerprint("start", &serde_json::json!({"group": "g1"})).unwrap(),
            hex::encode(Sha256::digest(
                br#"{"args":{"group":"g1"},"command":"start"}"#
            ))
        );
    }

    #[test]
    fn arguments_that_are_not_json_are_an_error_not_a_panic() {
        let mut keyed_by_pairs = BTreeMap::new();
        keyed_by_pairs.insert((1, 2), "x");
        assert!(matches!(
            fingerprint("odd", &keyed_by_pairs),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
