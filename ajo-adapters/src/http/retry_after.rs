use std::time::Duration;

use chrono::DateTime;
use reqwest::header::{DATE, HeaderMap, RETRY_AFTER};

/// The wait a response asks for in `Retry-After`: delay-seconds, or an HTTP date measured
/// against the response's own `Date` header (never our clock, so a skewed host cannot
/// turn it into a zero or an hour). `None` when absent or unreadable.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    let now = DateTime::parse_from_rfc2822(headers.get(DATE)?.to_str().ok()?.trim()).ok()?;
    (at - now).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(reqwest::header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn reads_seconds_and_dates() {
        assert_eq!(
            retry_after(&headers(&[(RETRY_AFTER, "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[
                (RETRY_AFTER, "Wed, 21 Oct 2026 07:28:30 GMT"),
                (DATE, "Wed, 21 Oct 2026 07:28:00 GMT"),
            ])),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn ignores_what_it_cannot_measure() {
        assert_eq!(retry_after(&headers(&[])), None);
        assert_eq!(retry_after(&headers(&[(RETRY_AFTER, "soon")])), None);
        assert_eq!(retry_after(&headers(&[(RETRY_AFTER, "-3")])), None);
        assert_eq!(
            retry_after(&headers(&[(RETRY_AFTER, "Wed, 21 Oct 2026 07:28:30 GMT")])),
            None,
            "a date without the response's Date header"
        );
        assert_eq!(
            retry_after(&headers(&[
                (RETRY_AFTER, "Wed, 21 Oct 2026 07:28:00 GMT"),
                (DATE, "Wed, 21 Oct 2026 07:28:30 GMT"),
            ])),
            None,
            "a date in the past"
        );
    }
}
