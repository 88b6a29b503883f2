//! Reading request headers, whatever HTTP library the caller uses.

use super::{Provider, WebhookError};

/// The headers of a received request, as the caller's HTTP server holds them.
///
/// Lookups ignore ASCII case (`Stripe-Signature` finds `stripe-signature`), and every
/// value of a repeated header is returned so a verifier can refuse duplicates instead of
/// silently picking one.
///
/// Implemented for slices, arrays and vectors of `(name, value)` pairs with names as
/// `&str`/`String` and values as `&str`/`String`/`&[u8]`/`Vec<u8>`. To use an
/// `http::HeaderMap`, collect it once:
///
/// ```
/// # let header_map: Vec<(String, Vec<u8>)> = Vec::new();
/// // With http::HeaderMap: header_map.iter().map(|(k, v)| (k.as_str(), v.as_bytes())).collect()
/// let headers: Vec<(&str, &[u8])> = header_map
///     .iter()
///     .map(|(k, v)| (k.as_str(), v.as_slice()))
///     .collect();
/// # let _ = headers;
/// ```
pub trait Headers {
    /// Every value received for the header `name`, compared without regard to ASCII case,
    /// in the order received.
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]>;
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for [(K, V)] {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.iter()
            .filter(move |(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> Headers for [(K, V); N] {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.as_slice().values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(K, V)> {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.as_slice().values(name)
    }
}

impl<T: Headers + ?Sized> Headers for &T {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        (**self).values(name)
    }
}

/// The single value of an optional header: `None` if absent.
///
/// # Errors
/// [`WebhookError::DuplicateHeader`] if it appears twice; [`WebhookError::MalformedHeader`]
/// if it is longer than `max_len`, empty, or not printable ASCII.
pub(super) fn optional<'h, H: Headers + ?Sized>(
    headers: &'h H,
    provider: Provider,
    header: &'static str,
    max_len: usize,
) -> Result<Option<&'h str>, WebhookError> {
    let mut values = headers.values(header);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(WebhookError::DuplicateHeader { provider, header });
    }
    let malformed = |reason| WebhookError::MalformedHeader {
        provider,
        header,
        reason,
    };
    if first.len() > max_len {
        return Err(malformed("longer than any valid value"));
    }
    // HTTP allows spaces and tabs around a value; they are not part of it.
    let trimmed = first.trim_ascii();
    if trimmed.is_empty() {
        return Err(malformed("empty"));
    }
    if !trimmed.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return Err(malformed("not printable ASCII"));
    }
    std::str::from_utf8(trimmed)
        .map(Some)
        .map_err(|_| malformed("not printable ASCII"))
}

/// The single value of a header the scheme requires.
///
/// # Errors
/// [`WebhookError::MissingHeader`] if absent, else as [`optional`].
pub(super) fn required<'h, H: Headers + ?Sized>(
    headers: &'h H,
    provider: Provider,
    header: &'static str,
    max_len: usize,
) -> Result<&'h str, WebhookError> {
    optional(headers, provider, header, max_len)?
        .ok_or(WebhookError::MissingHeader { provider, header })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Provider = Provider::Paystack;

    #[test]
    fn lookup_ignores_case_and_sees_every_value() {
        let h = [("X-Sig", "a"), ("x-sig", "b"), ("other", "c")];
        assert_eq!(h.values("X-SIG").collect::<Vec<_>>(), [b"a", b"b"]);
        let owned: Vec<(String, Vec<u8>)> = vec![("Stripe-Signature".into(), b"t=1".to_vec())];
        assert_eq!(required(&owned, P, "stripe-signature", 10).unwrap(), "t=1");
        let by_ref: &[(&str, &[u8])] = &[("a", b"1")];
        assert_eq!(optional(&by_ref, P, "A", 10).unwrap(), Some("1"));
    }

    #[test]
    fn every_failure_is_typed() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(optional(&none, P, "h", 8).unwrap(), None);
        assert_eq!(
            required(&none, P, "h", 8),
            Err(WebhookError::MissingHeader {
                provider: P,
                header: "h"
            })
        );
        assert_eq!(
            required(&[("h", "1"), ("H", "1")], P, "h", 8),
            Err(WebhookError::DuplicateHeader {
                provider: P,
                header: "h"
            })
        );
        let malformed = |reason| {
            Err(WebhookError::MalformedHeader {
                provider: P,
                header: "h",
                reason,
            })
        };
        assert_eq!(
            required(&[("h", "123456789")], P, "h", 8),
            malformed("longer than any valid value")
        );
        assert_eq!(required(&[("h", "  ")], P, "h", 8), malformed("empty"));
        assert_eq!(
            required(&[("h", &b"a\x00"[..])], P, "h", 8),
            malformed("not printable ASCII")
        );
        assert_eq!(
            required(&[("h", "é")], P, "h", 8),
            malformed("not printable ASCII")
        );
        assert_eq!(required(&[("h", " ab \t")], P, "h", 8), Ok("ab"));
    }
}
