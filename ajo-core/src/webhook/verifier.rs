//! One shape for every provider: a request in, provider-neutral outcomes out.

use std::fmt;

use chrono::{DateTime, Utc};

use super::{Provider, Rail, WebhookError, WebhookOutcome};

/// A received webhook request, as every [`WebhookVerifier`] takes it.
///
/// `headers` are `(name, value)` pairs as received (names in any case, repeated headers
/// repeated, so a verifier can refuse duplicates); `body` is the raw bytes, never
/// re-serialised; `received_at` is the server's clock when the request arrived, against
/// which signed timestamps are checked (Stripe, SendGrid). `url` is the full public URL the
/// provider called, which only schemes that sign the URL read (Twilio); it is empty unless
/// set with [`with_url`](Self::with_url), and such a scheme then refuses the request.
#[derive(Clone, Copy)]
pub struct WebhookRequest<'a> {
    url: &'a str,
    headers: &'a [(&'a str, &'a [u8])],
    body: &'a [u8],
    received_at: DateTime<Utc>,
}

impl<'a> WebhookRequest<'a> {
    /// A request with these headers and raw body, received at `received_at`.
    pub fn new(
        headers: &'a [(&'a str, &'a [u8])],
        body: &'a [u8],
        received_at: DateTime<Utc>,
    ) -> WebhookRequest<'a> {
        WebhookRequest {
            url: "",
            headers,
            body,
            received_at,
        }
    }

    /// The same request, called at `url`: scheme, host, optional port, path and the query
    /// exactly as sent (behind a TLS-terminating proxy, the public `https://` URL).
    #[must_use]
    pub fn with_url(mut self, url: &'a str) -> WebhookRequest<'a> {
        self.url = url;
        self
    }

    /// The public URL called, or `""` if not given.
    pub fn url(&self) -> &'a str {
        self.url
    }

    /// The headers, as received.
    pub fn headers(&self) -> &'a [(&'a str, &'a [u8])] {
        self.headers
    }

    /// The raw body.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// When the request arrived.
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }
}

impl fmt::Debug for WebhookRequest<'_> {
    // Header values and the body may carry signatures and personal data, and the URL
    // tokens: only their sizes are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookRequest")
            .field("url_len", &self.url.len())
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .field("received_at", &self.received_at)
            .finish()
    }
}

/// What a provider expects in the body of a `200` to a request that was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acknowledgement {
    /// The `Content-Type` of the body.
    pub content_type: &'static str,
    /// The body.
    pub body: &'static str,
}

/// A provider's webhook verifier behind one shape, so a server can hold every provider in
/// one [`WebhookRegistry`](super::WebhookRegistry) and serve them with one handler.
///
/// Each provider's verifier ([`PaystackVerifier`](super::PaystackVerifier) and the others)
/// implements it by calling its own `verify_and_parse`, so the checks are the same whichever
/// way it is called.
///
/// # Contract for implementers
///
/// - Verify before parsing: [`verify_request`](Self::verify_request) reads the payload
///   only once the request is proven to come from the provider, over the exact bytes of
///   [`WebhookRequest::body`], comparing signatures in constant time against every
///   configured secret, within the scheme's replay window if it has one (checked against
///   [`WebhookRequest::received_at`]).
/// - Refuse a body over [`max_body_len`](Self::max_body_len) before hashing it
///   ([`WebhookError::BodyTooLarge`]).
/// - Errors follow [`WebhookError`]'s three groups, so a server maps them to answers
///   without knowing the provider; none carries a secret, a header value or the body.
/// - It is synchronous and does no I/O: a request is verified from what it carries.
pub trait WebhookVerifier: Send + Sync + fmt::Debug + 'static {
    /// The provider and the currencies it moves money in.
    fn rail(&self) -> Rail;

    /// The provider this verifier is for.
    fn provider(&self) -> Provider {
        self.rail().provider()
    }

    /// The largest body it accepts, in bytes.
    fn max_body_len(&self) -> usize;

    /// Whether the provider's route ends with a token
    /// (`/webhooks/{provider}/{token}`): providers that sign nothing (M-Pesa, MTN MoMo)
    /// are called back only at such URLs, and a server routes both shapes to the same
    /// handler. The default, `false`, is for providers that sign their requests.
    fn token_in_path(&self) -> bool {
        false
    }

    /// The body the provider expects when a request was handled, if it expects one
    /// (Daraja's `{"ResultCode":0,"ResultDesc":"Accepted"}`); `None` leaves the answer to
    /// the server.
    fn acknowledgement(&self) -> Option<Acknowledgement> {
        None
    }

    /// Verifies `request` and reads what it reports: one outcome for most providers, one
    /// per event where a provider batches them (SendGrid).
    ///
    /// # Errors
    /// [`WebhookError`]: [`is_rejected_request`](WebhookError::is_rejected_request) errors
    /// when the request is not proven authentic; payload errors
    /// ([`WebhookError::MalformedPayload`], [`WebhookError::InvalidAmount`],
    /// [`WebhookError::UnsupportedCurrency`]) when it is authentic but cannot be read.
    fn verify_request(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<WebhookOutcome>, WebhookError>;
}
