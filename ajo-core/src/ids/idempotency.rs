//! [`IdempotencyKey`].

use super::{IdError, text_id};

/// The longest [`IdempotencyKey`], in bytes: room for a UUID, a ULID or a host's own
/// prefixed id, and short enough for any index.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

/// Where a host's keys live among the keys a store records. The service's own keys (webhook
/// deliveries, `provider:...`; scheduler actions, `<group id>:...`; payout reports) start
/// with a provider name or an id, neither of which can hold `@`, so no host key can ever
/// be taken for one of them, or one of them for a host key.
const NAMESPACE: &str = "@host:";

fn check(key: &str) -> Result<(), IdError> {
    const KIND: &str = "idempotency key";
    if key.is_empty() {
        return Err(IdError::new(KIND, key, "empty"));
    }
    if key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(IdError::new(KIND, key, "longer than 128 bytes"));
    }
    // Visible ASCII only: a key is logged (`idempotency_key` spans) and compared byte for
    // byte, so no spaces, control characters or look-alike letters.
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(IdError::new(
            KIND,
            key,
            "only visible ASCII characters are allowed",
        ));
    }
    Ok(())
}

text_id!(
    /// A host's idempotency key for one command: the same key sent again with the same
    /// command answers what the first call answered, with another command it is refused
    /// (see [`AjoService::idempotent`](crate::service::AjoService::idempotent)).
    ///
    /// 1 to [`MAX_IDEMPOTENCY_KEY_LEN`] visible ASCII characters (`!` to `~`), chosen by
    /// the host (a UUID per request is typical). Kept apart from the keys ajo records for
    /// itself, so any key a host picks is safe.
    IdempotencyKey,
    check: check
);

impl IdempotencyKey {
    /// The key as the store records it, in the hosts' namespace: what
    /// [`IdempotencyKeys::idempotency_record`](crate::ports::IdempotencyKeys::idempotency_record)
    /// is asked for to read a key's record.
    pub fn recorded(&self) -> String {
        format!("{NAMESPACE}{}", self.as_str())
    }

    /// The host's key back from [`recorded`](Self::recorded)'s form. Only ever given
    /// what `recorded` made (the service builds both from one key), so it is not checked
    /// again.
    pub(crate) fn from_recorded(recorded: &str) -> IdempotencyKey {
        IdempotencyKey(
            recorded
                .strip_prefix(NAMESPACE)
                .unwrap_or(recorded)
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_128_visible_ascii_characters() {
        let longest = "k".repeat(MAX_IDEMPOTENCY_KEY_LEN);
        for ok in [
            "a",
            "3f2b8c1e-7d4a-4f0e-9b6a-2c5d8e1f0a3b",
            "order:42/retry#1",
            longest.as_str(),
        ] {
            assert!(IdempotencyKey::new(ok).is_ok(), "{ok}");
        }
        let too_long = "k".repeat(MAX_IDEMPOTENCY_KEY_LEN + 1);
        for bad in ["", "a b", "a\nb", "é", "\t", too_long.as_str()] {
            let error = IdempotencyKey::new(bad).unwrap_err();
            assert_eq!(error.kind(), "idempotency key", "{bad:?}");
        }
        assert_eq!(IdempotencyKey::new("").unwrap_err().reason(), "empty");
        assert!(serde_json::from_str::<IdempotencyKey>("\"a b\"").is_err());
    }

    #[test]
    fn recorded_keys_cannot_meet_the_services_own() {
        let key = IdempotencyKey::new("paystack:ref-1:charge_succeeded").unwrap();
        assert_eq!(key.recorded(), "@host:paystack:ref-1:charge_succeeded");
        assert_eq!(IdempotencyKey::from_recorded(&key.recorded()), key);
        // The service's own keys start with an id or a provider name, which never hold '@'.
        assert!(crate::ids::GroupId::new("@host").is_err());
    }
}
