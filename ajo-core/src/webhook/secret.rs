//! Configured secrets, and the byte-level helpers every scheme shares: strict decoding of
//! signatures into fixed buffers and constant-time comparison.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;
use secrecy::{ExposeSecret, SecretString};
use subtle::{Choice, ConstantTimeEq};

use super::{Provider, WebhookError};

/// The most secrets (or keys) one verifier accepts: enough for any rotation, few enough that
/// a failed check costs a bounded number of MACs.
pub const MAX_SECRETS: usize = 8;

/// Checks a list of secrets: at least one, none empty, at most [`MAX_SECRETS`].
pub(super) fn checked(
    provider: Provider,
    secrets: Vec<SecretString>,
) -> Result<Vec<SecretString>, WebhookError> {
    if secrets.is_empty() || secrets.iter().any(|s| s.expose_secret().is_empty()) {
        return Err(WebhookError::SecretMissing { provider });
    }
    if secrets.len() > MAX_SECRETS {
        return Err(WebhookError::TooManySecrets {
            provider,
            count: secrets.len(),
            max: MAX_SECRETS,
        });
    }
    Ok(secrets)
}

/// A MAC keyed with `secret` (HMAC takes keys of any length, so this does not fail in
/// practice; the error keeps it panic-free).
pub(super) fn keyed<M: Mac + hmac::digest::KeyInit>(
    provider: Provider,
    secret: &SecretString,
) -> Result<M, WebhookError> {
    <M as Mac>::new_from_slice(secret.expose_secret().as_bytes())
        .map_err(|_| WebhookError::SecretMissing { provider })
}

/// Whether any secret's MAC over the message matches `expected`, in constant time with
/// respect to the MAC values. Every secret is tried, so timing does not reveal which matched.
pub(super) fn any_mac_matches<M: Mac + hmac::digest::KeyInit>(
    provider: Provider,
    secrets: &[SecretString],
    parts: &[&[u8]],
    expected: &[impl AsRef<[u8]>],
) -> Result<bool, WebhookError> {
    let mut found = Choice::from(0);
    for secret in secrets {
        let mut mac = keyed::<M>(provider, secret)?;
        for part in parts {
            mac.update(part);
        }
        let tag = mac.finalize().into_bytes();
        for candidate in expected {
            found |= tag.as_slice().ct_eq(candidate.as_ref());
        }
    }
    Ok(bool::from(found))
}

/// Decodes exactly `N` bytes from lowercase hex (`2 * N` characters of `0-9a-f`).
/// Upper case is refused: providers send lower case and their samples compare exactly.
pub(super) fn decode_lower_hex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != N.checked_mul(2)? {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let (&hi, &lo) = (pair.first()?, pair.get(1)?);
        *byte = (lower_hex_digit(hi)? << 4) | lower_hex_digit(lo)?;
    }
    Some(out)
}

fn lower_hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes exactly `N` bytes from standard, padded, canonical base64.
pub(super) fn decode_base64<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    // 4 characters per 3 bytes, padded: anything else cannot decode to exactly N bytes.
    if text.len() != N.div_ceil(3).checked_mul(4)? {
        return None;
    }
    let bytes = STANDARD.decode(text).ok()?;
    <[u8; N]>::try_from(bytes.as_slice()).ok()
}

/// Decodes standard, padded base64 of at most `max` bytes.
pub(super) fn decode_base64_vec(text: &[u8], max: usize) -> Option<Vec<u8>> {
    if text.len() > max.div_ceil(3).checked_mul(4)? {
        return None;
    }
    STANDARD.decode(text).ok().filter(|v| v.len() <= max)
}

/// Constant-time equality of two byte strings of possibly different lengths: both are
/// hashed first, so neither the content nor the length of the secret shows in timing.
pub(super) fn ct_eq_any_len(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (ha, hb) = (Sha256::digest(a), Sha256::digest(b));
    bool::from(ha.as_slice().ct_eq(hb.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_need_one_non_empty_and_at_most_the_limit() {
        let p = Provider::Stripe;
        let s = |t: &str| SecretString::from(t.to_owned());
        assert_eq!(
            checked(p, vec![]).unwrap_err(),
            WebhookError::SecretMissing { provider: p }
        );
        assert_eq!(
            checked(p, vec![s("a"), s("")]).unwrap_err(),
            WebhookError::SecretMissing { provider: p }
        );
        assert_eq!(
            checked(p, (0..9).map(|_| s("k")).collect()).unwrap_err(),
            WebhookError::TooManySecrets {
                provider: p,
                count: 9,
                max: MAX_SECRETS
            }
        );
        assert_eq!(checked(p, vec![s("a"), s("b")]).unwrap().len(), 2);
    }

    #[test]
    fn hex_is_strict_lowercase_and_exact_length() {
        assert_eq!(decode_lower_hex::<2>(b"0aff"), Some([0x0a, 0xff]));
        assert_eq!(decode_lower_hex::<2>(b"0AFF"), None);
        assert_eq!(decode_lower_hex::<2>(b"0af"), None);
        assert_eq!(decode_lower_hex::<2>(b"0aff00"), None);
        assert_eq!(decode_lower_hex::<2>(b"0afg"), None);
        assert_eq!(decode_lower_hex::<1>(b"\xff\xff"), None);
    }

    #[test]
    fn base64_is_exact_length_and_padded() {
        assert_eq!(decode_base64::<3>(b"AQID"), Some([1, 2, 3]));
        assert_eq!(decode_base64::<4>(b"AQIDBA=="), Some([1, 2, 3, 4]));
        assert_eq!(decode_base64::<4>(b"AQIDBA"), None);
        assert_eq!(decode_base64::<4>(b"AQIDBAU="), None);
        assert_eq!(decode_base64::<4>(b"AQ==BA=="), None);
        assert_eq!(decode_base64::<4>(b"AQ==AQID"), None);
        assert_eq!(decode_base64::<3>(b"AQI!"), None);
        assert_eq!(decode_base64_vec(b"AQID", 3), Some(vec![1, 2, 3]));
        assert_eq!(decode_base64_vec(b"AQIDBA==", 3), None);
        assert_eq!(decode_base64_vec(b"!!!!", 3), None);
    }

    #[test]
    fn any_length_comparison() {
        assert!(ct_eq_any_len(b"abc", b"abc"));
        assert!(!ct_eq_any_len(b"abc", b"abcd"));
        assert!(!ct_eq_any_len(b"abc", b"abd"));
    }
}
