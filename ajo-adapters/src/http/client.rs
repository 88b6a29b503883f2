use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ajo_core::error::Source;
use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::breaker::CircuitBreaker;
use super::config::HttpConfig;
use super::retry_after::retry_after;

/// A provider's HTTP API: base URL, timeout, retries and circuit breaker in one place.
pub struct ApiClient {
    provider: &'static str,
    http: reqwest::Client,
    config: HttpConfig,
    breaker: CircuitBreaker,
    // Each call's jitter comes from the configured seed and the call's number, so two
    // calls backing off together do not wake together, yet a run replays exactly.
    calls: AtomicU64,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("provider", &self.provider)
            .field("config", &self.config)
            .field("breaker", &self.breaker)
            .finish_non_exhaustive()
    }
}

/// One call to a provider, rebuilt for every attempt.
#[derive(Clone)]
pub struct ApiRequest {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: RequestBody,
    idempotent: bool,
}

impl fmt::Debug for ApiRequest {
    // Headers may hold keys and bodies personal data: only the shape is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &path_only(&self.path))
            .field("body_bytes", &self.body.len())
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

/// A request body, already encoded.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestBody {
    /// No body.
    Empty,
    /// `application/json`.
    Json(String),
    /// `application/x-www-form-urlencoded`.
    Form(String),
}

impl RequestBody {
    fn len(&self) -> usize {
        match self {
            RequestBody::Empty => 0,
            RequestBody::Json(body) | RequestBody::Form(body) => body.len(),
        }
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestBody({} bytes)", self.len())
    }
}

impl ApiRequest {
    fn new(method: Method, path: impl Into<String>) -> Self {
        ApiRequest {
            method,
            path: path.into(),
            headers: HeaderMap::new(),
            body: RequestBody::Empty,
            idempotent: false,
        }
    }

    /// A GET of `path` (relative to the base URL, query included): idempotent.
    pub fn get(path: impl Into<String>) -> Self {
        ApiRequest::new(Method::GET, path).idempotent(true)
    }

    /// A POST to `path`: not idempotent unless marked so.
    pub fn post(path: impl Into<String>) -> Self {
        ApiRequest::new(Method::POST, path)
    }

    /// Whether the provider carries the call out at most once however often it is sent
    /// (a GET, an idempotency key, a reference it refuses to reuse): only then are
    /// timeouts and 5xx retried.
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// A JSON body.
    #[must_use]
    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = RequestBody::Json(body.to_string());
        self
    }

    /// A JSON body from any serialisable value: wire structs, whose exact decimal amounts
    /// can be raw JSON numbers (a [`serde_json::Value`] would hold them as floats).
    ///
    /// # Errors
    /// `body` refused to serialise (a map with non-string keys, say).
    pub fn json_from<T: serde::Serialize + ?Sized>(
        mut self,
        body: &T,
    ) -> Result<Self, serde_json::Error> {
        self.body = RequestBody::Json(serde_json::to_string(body)?);
        Ok(self)
    }

    /// A form-encoded body, the pairs in the order given.
    #[must_use]
    pub fn form<'a>(mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut encoder = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            encoder.append_pair(name, value);
        }
        self.body = RequestBody::Form(encoder.finish());
        self
    }

    /// One more header. A value that is not a valid header value is left out and the
    /// provider's validation answers for it.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }

    /// `Authorization: Bearer <key>`, marked sensitive so it never prints.
    #[must_use]
    pub fn bearer(self, key: &SecretString) -> Self {
        let value = format!("Bearer {}", key.expose_secret());
        self.sensitive(AUTHORIZATION, &value)
    }

    /// `Authorization: Basic <user:password>`, marked sensitive.
    #[must_use]
    pub fn basic(self, user: &str, password: &SecretString) -> Self {
        use base64::Engine as _;
        let pair = format!("{user}:{}", password.expose_secret());
        let value = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        );
        self.sensitive(AUTHORIZATION, &value)
    }

    fn sensitive(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(mut value) = HeaderValue::from_str(value) {
            value.set_sensitive(true);
            self.headers.insert(name, value);
        }
        self
    }

    /// The body as sent (for tests and fakes).
    pub fn body(&self) -> &RequestBody {
        &self.body
    }
}

/// What the provider answered, once retries were over.
#[derive(Clone)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Vec<u8>,
    /// The wait asked for in `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

impl fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .field("retry_after", &self.retry_after)
            .finish_non_exhaustive()
    }
}

impl ApiResponse {
    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body parsed as JSON into `T`.
    ///
    /// # Errors
    /// The body is not `T` in JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// A header's value, when present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

/// No answer from the provider. Carries no URL, header or body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be made: the request was not sent.
    #[error("could not connect")]
    Connect,
    /// No answer in time: the request may or may not have been carried out.
    #[error("timed out")]
    Timeout,
    /// The connection broke after the request was sent: it may have been carried out.
    #[error("connection interrupted")]
    Interrupted,
    /// The circuit breaker is open: the provider failed repeatedly and is left alone.
    #[error("circuit open")]
    CircuitOpen,
}

impl TransportError {
    fn from_reqwest(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            TransportError::Timeout
        } else if error.is_connect() {
            TransportError::Connect
        } else {
            TransportError::Interrupted
        }
    }
}

impl ApiClient {
    /// A client for `provider` (its name, for logs and errors) with `config`.
    ///
    /// # Errors
    /// The TLS stack could not be set up: reqwest's builder error, kept as a [`Source`]
    /// (no request was made, so it holds no URL, header or secret).
    pub fn new(provider: &'static str, config: HttpConfig) -> Result<Self, Source> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("ajo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Source::new(error.without_url()))?;
        Ok(ApiClient {
            provider,
            http,
            breaker: CircuitBreaker::new(config.breaker),
            config,
            calls: AtomicU64::new(0),
        })
    }

    /// The provider's name.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The configuration in use.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// The provider's circuit breaker.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// Sends `request`, retrying when that is safe (see the [module docs](super)), and
    /// answers with the provider's last response, whatever its status.
    ///
    /// # Errors
    /// [`TransportError`] when no response came: connection refused, timed out,
    /// interrupted, or the breaker open.
    pub async fn send(&self, request: &ApiRequest) -> Result<ApiResponse, TransportError> {
        let permit = self.breaker.permit().ok_or(TransportError::CircuitOpen)?;
        let outcome = self.send_with_retries(request).await;
        let failed = match &outcome {
            Err(_) => true,
            Ok(response) => response.status == 429 || response.status >= 500,
        };
        if failed {
            permit.failed();
        } else {
            permit.succeeded();
        }
        outcome
    }

    async fn send_with_retries(&self, request: &ApiRequest) -> Result<ApiResponse, TransportError> {
        let policy = self.config.retry;
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_retries)
            .with_jitter()
            .with_jitter_seed(policy.jitter_seed ^ call.rotate_left(17))
            .build();
        let mut attempt = 1u32;
        loop {
            let outcome = self.attempt(request, attempt).await;
            let wait = match &outcome {
                Ok(response) if response.status == 429 => match response.retry_after {
                    Some(asked) if asked > policy.max_retry_after => None,
                    Some(asked) => delays.next().map(|_| asked),
                    None => delays.next(),
                },
                Ok(response) if response.status >= 500 && request.idempotent => delays.next(),
                Ok(_) => None,
                Err(TransportError::Connect) => delays.next(),
                Err(_) if request.idempotent => delays.next(),
                Err(_) => None,
            };
            let Some(wait) = wait else {
                return outcome;
            };
            tracing::debug!(
                provider = self.provider,
                attempt,
                wait_ms = wait.as_millis(),
                "retrying"
            );
            tokio::time::sleep(wait).await;
            attempt = attempt.saturating_add(1);
        }
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        attempt: u32,
    ) -> Result<ApiResponse, TransportError> {
        let url = format!("{}{}", self.config.base_url, request.path);
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .headers(request.headers.clone());
        builder = match &request.body {
            RequestBody::Empty => builder,
            RequestBody::Json(body) => builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone()),
            RequestBody::Form(body) => builder
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.clone()),
        };
        let response = builder.send().await.map_err(|error| {
            let error = TransportError::from_reqwest(&error);
            tracing::warn!(
                provider = self.provider,
                method = %request.method,
                path = path_only(&request.path),
                attempt,
                %error,
                "no answer"
            );
            error
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|error| TransportError::from_reqwest(&error))?
            .to_vec();
        tracing::debug!(
            provider = self.provider,
            method = %request.method,
            path = path_only(&request.path),
            attempt,
            status,
            "answered"
        );
        Ok(ApiResponse {
            status,
            retry_after: retry_after(&headers),
            headers,
            body,
        })
    }
}

/// `text` made safe as one path segment: everything but RFC 3986's unreserved characters
/// is percent-encoded, so a reference holding `/`, `?` or `#` cannot reach another
/// endpoint.
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        // Unreserved characters and `=` (a sub-delimiter, which ajo's references use
        // between their parts): none of them ends a segment or starts a query.
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'=') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

// Query strings can carry references and filters; logs get the path alone.
fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_cannot_reach_another_endpoint() {
        assert_eq!(path_segment("ajo-g1-r1-1_a.b~"), "ajo-g1-r1-1_a.b~");
        assert_eq!(path_segment("ajo=ctb=g1=r1=h1"), "ajo=ctb=g1=r1=h1");
        assert_eq!(path_segment("../x?y#z w"), "..%2Fx%3Fy%23z%20w");
        assert_eq!(path_segment("é"), "%C3%A9");
    }
}
