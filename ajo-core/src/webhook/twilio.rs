//! Twilio: `X-Twilio-Signature` is the base64 HMAC-SHA1, keyed with the account's auth
//! token, of the full URL Twilio requested followed by every form field sorted by name
//! (`name` + `value`, no separators; repeated names sorted by value).
//!
//! JSON bodies are signed differently: Twilio adds `bodySHA256=<hex SHA-256 of the body>`
//! to the URL and signs the URL alone, so the body is checked against that hash.
//!
//! Like Twilio's own SDKs, the URL is tried with its port removed and with the scheme's
//! default port added, because proxies differ in what they pass on. No timestamp is signed:
//! replays are stopped by de-duplication (`MessageSid` + status).

use std::fmt;

use hmac::Hmac;
use secrecy::SecretString;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::delivery::{Channel, DeliveryEvent, DeliveryStatus};
use super::event::{IdempotencyKey, Ignored, MAX_REASON_LEN, bounded};
use super::{
    DEFAULT_MAX_BODY_LEN, Headers, Provider, Rail, WebhookError, WebhookOutcome, WebhookRequest,
    WebhookVerifier, check_body_len, checked_max_body_len, headers, payload, secret,
};

const P: Provider = Provider::Twilio;

/// Twilio's rail: SMS only, no money.
pub const RAIL: Rail = Rail::new(P, &[]);

const SIGNATURE: &str = "X-Twilio-Signature";

/// The longest request URL accepted.
pub(super) const MAX_URL_LEN: usize = 8192;

/// The query parameter of a `StatusCallback` URL that carries ajo's message id.
pub(super) const MESSAGE_ID_PARAM: &str = "ajo_message_id";

/// Verifies Twilio webhooks (SMS status callbacks) and reads delivery reports.
#[derive(Clone)]
pub struct TwilioVerifier {
    secrets: Vec<SecretString>,
    max_body_len: usize,
}

impl TwilioVerifier {
    /// A verifier for the given auth tokens: the primary one, plus the next one while it is
    /// being promoted.
    ///
    /// # Errors
    /// [`WebhookError::SecretMissing`] for no token or an empty one;
    /// [`WebhookError::TooManySecrets`] past [`MAX_SECRETS`](super::MAX_SECRETS).
    pub fn new(auth_tokens: Vec<SecretString>) -> Result<TwilioVerifier, WebhookError> {
        Ok(TwilioVerifier {
            secrets: secret::checked(P, auth_tokens)?,
            max_body_len: DEFAULT_MAX_BODY_LEN,
        })
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY_LEN`]).
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] for zero.
    pub fn with_max_body_len(mut self, max: usize) -> Result<TwilioVerifier, WebhookError> {
        self.max_body_len = checked_max_body_len(P, max)?;
        Ok(self)
    }

    /// Checks a request to `url`, the full public URL Twilio called (scheme, host, optional
    /// port, path and the query exactly as sent; behind a TLS-terminating proxy, rebuild the
    /// `https://` URL). `body` is the raw form-encoded body, or the raw JSON body when the
    /// URL carries `bodySHA256`.
    ///
    /// # Errors
    /// [`WebhookError::BodyTooLarge`]; [`WebhookError::InvalidUrl`];
    /// [`WebhookError::MissingHeader`], [`WebhookError::DuplicateHeader`];
    /// [`WebhookError::MalformedHeader`] if the signature is not base64 of 20 bytes;
    /// [`WebhookError::BadSignature`]; [`WebhookError::BodyHashMismatch`] if the body is not
    /// the one `bodySHA256` names.
    pub fn verify<H: Headers + ?Sized>(
        &self,
        url: &str,
        headers: &H,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        self.verified(url, headers, body).map(|_| ())
    }

    /// [`verify`](Self::verify), then reads an SMS status callback.
    ///
    /// | `MessageStatus` | outcome |
    /// | --- | --- |
    /// | `delivered` | [`DeliveryStatus::Delivered`] |
    /// | `undelivered` | [`DeliveryStatus::Undelivered`] (reason: `ErrorCode`) |
    /// | `failed` | [`DeliveryStatus::Failed`] (reason: `ErrorCode`) |
    /// | `sent`, `queued`, `read`, …, none (not a status callback), or a JSON body | [`WebhookOutcome::Ignored`] |
    ///
    /// ajo's message id is read from the `ajo_message_id` query parameter of the URL (put it
    /// in the `StatusCallback` URL when sending); the provider message id is `MessageSid`.
    /// The idempotency key is `twilio:{MessageSid}:{status}`; callbacks can arrive out of
    /// order, so never move a message back from `delivered`.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); then [`WebhookError::MalformedPayload`] for a callback
    /// without a usable `MessageSid` or with a field given twice.
    pub fn verify_and_parse<H: Headers + ?Sized>(
        &self,
        url: &str,
        headers: &H,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        match self.verified(url, headers, body)? {
            Verified::Json => Ok(WebhookOutcome::Ignored(Ignored::new(P, "application/json"))),
            Verified::Form(fields) => parse(url, &fields),
        }
    }

    fn verified<H: Headers + ?Sized>(
        &self,
        url: &str,
        headers: &H,
        body: &[u8],
    ) -> Result<Verified, WebhookError> {
        check_body_len(P, body, self.max_body_len)?;
        let parts = UrlParts::parse(url)?;
        let value = headers::required(headers, P, SIGNATURE, 64)?;
        let signature: [u8; 20] =
            secret::decode_base64(value.as_bytes()).ok_or(WebhookError::MalformedHeader {
                provider: P,
                header: SIGNATURE,
                reason: "not base64 of a 20-byte HMAC-SHA1",
            })?;
        let body_hash = query_value(parts.query(), "bodySHA256");
        let fields = match body_hash {
            Some(_) => Vec::new(),
            None => form_fields(body),
        };
        let mut matched = false;
        for candidate in [parts.with_default_port(), parts.without_port()] {
            let mut message: Vec<&[u8]> =
                Vec::with_capacity(fields.len().saturating_mul(2).saturating_add(1));
            message.push(candidate.as_bytes());
            for (name, value) in &fields {
                message.push(name);
                message.push(value);
            }
            matched |=
                secret::any_mac_matches::<Hmac<Sha1>>(P, &self.secrets, &message, &[&signature])?;
        }
        if !matched {
            return Err(WebhookError::BadSignature { provider: P });
        }
        match body_hash {
            Some(expected) => {
                let actual = Sha256::digest(body);
                let ok = secret::decode_lower_hex::<32>(expected.as_bytes())
                    .is_some_and(|e| bool::from(e.as_slice().ct_eq(actual.as_slice())));
                if ok {
                    Ok(Verified::Json)
                } else {
                    Err(WebhookError::BodyHashMismatch { provider: P })
                }
            }
            None => Ok(Verified::Form(fields)),
        }
    }
}

impl WebhookVerifier for TwilioVerifier {
    fn rail(&self) -> Rail {
        RAIL
    }

    fn max_body_len(&self) -> usize {
        self.max_body_len
    }

    fn verify_request(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<WebhookOutcome>, WebhookError> {
        self.verify_and_parse(request.url(), request.headers(), request.body())
            .map(|outcome| vec![outcome])
    }
}

impl fmt::Debug for TwilioVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("max_body_len", &self.max_body_len)
            .finish()
    }
}

enum Verified {
    Json,
    Form(Vec<(Vec<u8>, Vec<u8>)>),
}

/// A request URL split where the port goes: `{scheme}://{userinfo@}{host}` `{:port}`
/// `{path?query}`.
#[derive(Debug, PartialEq, Eq)]
struct UrlParts<'a> {
    https: bool,
    before_port: &'a str,
    port: Option<&'a str>,
    rest: &'a str,
}

impl<'a> UrlParts<'a> {
    fn parse(url: &'a str) -> Result<UrlParts<'a>, WebhookError> {
        let invalid = |reason| WebhookError::InvalidUrl {
            provider: P,
            reason,
        };
        if url.len() > MAX_URL_LEN {
            return Err(invalid("longer than any URL accepted"));
        }
        if !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("not printable ASCII without spaces"));
        }
        let (scheme, after) = url
            .split_once("://")
            .ok_or(invalid("not an http or https URL"))?;
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return Err(invalid("not an http or https URL"));
        };
        let authority_len = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after
            .split_at_checked(authority_len)
            .ok_or(invalid("no host"))?;
        // The port follows the host, after any userinfo and outside IPv6 brackets.
        let host_start = authority.rfind('@').map_or(0, |i| i.saturating_add(1));
        let host = authority.get(host_start..).unwrap_or_default();
        if host.is_empty() || host.starts_with(':') {
            return Err(invalid("no host"));
        }
        let port_colon = match host.rfind(']') {
            Some(close) => host
                .get(close..)
                .and_then(|t| t.find(':'))
                .map(|i| close.saturating_add(i)),
            None => host.rfind(':'),
        };
        let scheme_len = scheme.len().saturating_add(3);
        let (before_port, port) = match port_colon {
            Some(colon) => {
                let port = host.get(colon.saturating_add(1)..).unwrap_or_default();
                if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid("the port is not a number"));
                }
                let cut = scheme_len.saturating_add(host_start).saturating_add(colon);
                (url.get(..cut).ok_or(invalid("no host"))?, Some(port))
            }
            None => (
                url.get(..scheme_len.saturating_add(authority.len()))
                    .ok_or(invalid("no host"))?,
                None,
            ),
        };
        Ok(UrlParts {
            https,
            before_port,
            port,
            rest,
        })
    }

    /// The URL with its port, or with the scheme's default port when it has none.
    fn with_default_port(&self) -> String {
        let default = if self.https { "443" } else { "80" };
        format!(
            "{}:{}{}",
            self.before_port,
            self.port.unwrap_or(default),
            self.rest
        )
    }

    /// The URL without any port.
    fn without_port(&self) -> String {
        format!("{}{}", self.before_port, self.rest)
    }

    /// The query string, without `?` and any fragment.
    fn query(&self) -> &'a str {
        let rest = self.rest.split_once('#').map_or(self.rest, |(r, _)| r);
        rest.split_once('?').map_or("", |(_, q)| q)
    }
}

/// The raw value of the first `name=` parameter of a query string (not decoded: Twilio
/// writes `bodySHA256` as plain hex).
fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Decodes an `application/x-www-form-urlencoded` body into fields sorted as Twilio signs
/// them: by name, then by value, bytewise. Invalid `%` escapes are kept as written, as
/// browsers and Python do; empty fields are kept, since Twilio signs them.
fn form_fields(body: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut fields: Vec<(Vec<u8>, Vec<u8>)> = body
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |b| *b == b'=');
            let name = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            (percent_decode(name), percent_decode(value))
        })
        .collect();
    fields.sort_unstable();
    fields
}

fn percent_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0usize;
    while let Some(&b) = text.get(i) {
        let escaped = match (
            b,
            text.get(i.saturating_add(1)),
            text.get(i.saturating_add(2)),
        ) {
            (b'%', Some(&hi), Some(&lo)) => {
                hex_value(hi).zip(hex_value(lo)).map(|(h, l)| (h << 4) | l)
            }
            _ => None,
        };
        match (b, escaped) {
            (_, Some(decoded)) => {
                out.push(decoded);
                i = i.saturating_add(3);
            }
            (b'+', None) => {
                out.push(b' ');
                i = i.saturating_add(1);
            }
            (other, None) => {
                out.push(other);
                i = i.saturating_add(1);
            }
        }
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The single value of a form field; a field given twice is malformed.
fn field<'f>(
    fields: &'f [(Vec<u8>, Vec<u8>)],
    name: &str,
) -> Result<Option<&'f str>, WebhookError> {
    let mut values = fields
        .iter()
        .filter(|(n, _)| n.as_slice() == name.as_bytes());
    let Some((_, first)) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(WebhookError::payload(
            P,
            format!("{name} is given more than once"),
        ));
    }
    std::str::from_utf8(first)
        .map(Some)
        .map_err(|_| WebhookError::payload(P, format!("{name} is not UTF-8")))
}

fn parse(url: &str, fields: &[(Vec<u8>, Vec<u8>)]) -> Result<WebhookOutcome, WebhookError> {
    let Some(status_text) = field(fields, "MessageStatus")? else {
        return Ok(WebhookOutcome::Ignored(Ignored::new(
            P,
            "(no MessageStatus)",
        )));
    };
    let status = match status_text {
        "delivered" => DeliveryStatus::Delivered,
        "undelivered" => DeliveryStatus::Undelivered,
        "failed" => DeliveryStatus::Failed,
        other => return Ok(WebhookOutcome::Ignored(Ignored::new(P, other))),
    };
    let sid = match field(fields, "MessageSid")? {
        Some(sid) => sid,
        None => {
            field(fields, "SmsSid")?.ok_or_else(|| WebhookError::payload(P, "no MessageSid"))?
        }
    };
    let sid = payload::text_id(P, sid, "MessageSid")?;
    let message_id = UrlParts::parse(url)
        .ok()
        .and_then(|parts| query_value(parts.query(), MESSAGE_ID_PARAM))
        .filter(|raw| !raw.is_empty())
        .map(|raw| String::from_utf8_lossy(&percent_decode(raw.as_bytes())).into_owned())
        .map(|id| payload::text_id(P, &id, MESSAGE_ID_PARAM))
        .transpose()?;
    let reason = match status {
        DeliveryStatus::Delivered => None,
        _ => field(fields, "ErrorCode")?.map(|c| bounded(c, MAX_REASON_LEN)),
    };
    Ok(WebhookOutcome::Delivery(DeliveryEvent {
        provider: P,
        channel: Channel::Sms,
        status,
        message_id,
        idempotency_key: IdempotencyKey::from_reference(P, &sid, status.as_str()),
        provider_message_id: sid,
        event_id: None,
        occurred_at: None,
        reason,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> UrlParts<'_> {
        UrlParts::parse(url).unwrap()
    }

    #[test]
    fn urls_split_at_the_port() {
        let u = parts("https://mycompany.com/myapp.php?foo=1&bar=2");
        assert_eq!(
            u.without_port(),
            "https://mycompany.com/myapp.php?foo=1&bar=2"
        );
        assert_eq!(
            u.with_default_port(),
            "https://mycompany.com:443/myapp.php?foo=1&bar=2"
        );
        assert_eq!(u.query(), "foo=1&bar=2");
        let u = parts("http://mycompany.com:1234/a");
        assert_eq!(u.without_port(), "http://mycompany.com/a");
        assert_eq!(u.with_default_port(), "http://mycompany.com:1234/a");
        let u = parts("http://user:pw@host.example?x=1#frag");
        assert_eq!(
            u.with_default_port(),
            "http://user:pw@host.example:80?x=1#frag"
        );
        assert_eq!(u.query(), "x=1");
        let u = parts("https://[::1]:8443/p");
        assert_eq!(u.without_port(), "https://[::1]/p");
        let u = parts("https://[::1]/p");
        assert_eq!(u.with_default_port(), "https://[::1]:443/p");
        let invalid = |url: &str| match UrlParts::parse(url) {
            Err(WebhookError::InvalidUrl { reason, .. }) => reason,
            other => panic!("{url}: {other:?}"),
        };
        assert_eq!(invalid("ftp://x/"), "not an http or https URL");
        assert_eq!(invalid("mycompany.com/x"), "not an http or https URL");
        assert_eq!(invalid("https:///x"), "no host");
        assert_eq!(invalid("https://:80/x"), "no host");
        assert_eq!(invalid("https://h:8o/x"), "the port is not a number");
        assert_eq!(invalid("https://h:123456/x"), "the port is not a number");
        assert_eq!(
            invalid("https://h/a b"),
            "not printable ASCII without spaces"
        );
        assert_eq!(
            invalid(&format!("https://h/{}", "a".repeat(MAX_URL_LEN))),
            "longer than any URL accepted"
        );
    }

    #[test]
    fn form_bodies_decode_and_sort_as_twilio_signs() {
        let fields =
            form_fields(b"To=%2B1800&Digits=5678&Digits=1234&Empty=&Caller=a+b&bad=%zz%4&&Flag");
        let as_text: Vec<(String, String)> = fields
            .iter()
            .map(|(n, v)| {
                (
                    String::from_utf8_lossy(n).into(),
                    String::from_utf8_lossy(v).into(),
                )
            })
            .collect();
        let expected = [
            ("Caller", "a b"),
            ("Digits", "1234"),
            ("Digits", "5678"),
            ("Empty", ""),
            ("Flag", ""),
            ("To", "+1800"),
            ("bad", "%zz%4"),
        ];
        assert_eq!(as_text, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
    }

    #[test]
    fn fields_given_twice_are_malformed() {
        let fields = form_fields(b"MessageStatus=delivered&MessageStatus=failed&MessageSid=SM1");
        assert!(matches!(
            parse("https://h/", &fields),
            Err(WebhookError::MalformedPayload { .. })
        ));
        let fields = form_fields(b"MessageStatus=delivered");
        assert!(matches!(
            parse("https://h/", &fields),
            Err(WebhookError::MalformedPayload { .. })
        ));
        let fields = form_fields(b"MessageStatus=%ff");
        assert!(matches!(
            parse("https://h/", &fields),
            Err(WebhookError::MalformedPayload { .. })
        ));
    }
}
