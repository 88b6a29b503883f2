//! The router: `POST /webhooks/{provider}` (and `/webhooks/{provider}/{token}` for
//! providers that sign nothing) and one handler for every provider.
//! The handler finds the provider's verifier in the [`WebhookRegistry`], verifies the raw
//! body, then hands each event to the service before answering.

use std::sync::Arc;
use std::time::Duration;

use ajo_core::ports::{Clock, StoreError};
use ajo_core::service::{AjoService, Handled, ServiceError};
use ajo_core::telemetry;
use ajo_core::webhook::{
    Acknowledgement, DeliveryEvent, GatewayEvent, Provider, WebhookError, WebhookOutcome,
    WebhookRegistry, WebhookRequest, WebhookVerifier,
};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tracing::{Instrument, info_span};

use super::{Config, ConfigError};

/// What the handler shares: the service, the clock signed timestamps are checked
/// against, and the verifier of each configured provider.
struct App {
    service: AjoService,
    clock: Arc<dyn Clock>,
    handle_timeout: Duration,
    registry: WebhookRegistry,
    public_url: String,
}

/// The router for `config`: `POST /webhooks/{provider}` served by one handler for every
/// provider whose secret is set (any other provider answers `404`), bodies over the
/// configured limit refused with `413` before anything else is done with them, and bodies
/// that take longer than [`Config::body_timeout`] to arrive answered `408` (the connection
/// is then closed).
///
/// The verifiers are [`Config::webhook_registry`]'s: each gets the provider's current
/// secret and, while a key is rolled, the previous one, and the provider's own settings
/// (SendGrid's replay window, Flutterwave's `verif-hash` switch).
///
/// The router bounds what a request may do; serve it with [`serve`](super::serve), which
/// bounds connections and how long a request head may take, as `axum::serve` does not.
///
/// `clock` should be the service's clock: Stripe's and SendGrid's signed timestamps must
/// be within their windows of it.
///
/// # Errors
/// [`ConfigError::Verifier`] if a provider's verifier refuses its secret or key (a
/// SendGrid key that is not a P-256 public key, say).
pub fn router(
    config: &Config,
    service: AjoService,
    clock: Arc<dyn Clock>,
) -> Result<Router, ConfigError> {
    let max = config.max_body_len();
    let app = App {
        service,
        clock,
        handle_timeout: config.handle_timeout(),
        registry: config.webhook_registry()?,
        public_url: config.public_url().unwrap_or_default().to_owned(),
    };
    let route = format!("{}{{provider}}", WebhookRegistry::PATH_PREFIX);
    let token_route = format!("{}{{provider}}/{{token}}", WebhookRegistry::PATH_PREFIX);
    let body = BodyLimits {
        max_len: max,
        timeout: config.body_timeout(),
    };
    Ok(Router::new()
        .route(&route, post(webhook))
        .route(&token_route, post(token_webhook))
        .layer(DefaultBodyLimit::max(max))
        .layer(middleware::from_fn_with_state(body, read_body))
        .with_state(Arc::new(app)))
}

/// How much body a request may send, and how long it has to send it.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    max_len: usize,
    timeout: Duration,
}

/// Reads the whole body before the handler runs, within the body timeout and the limit.
///
/// hyper's header timeout ends once the head has arrived; without a deadline here a client
/// could hold its connection open by sending the body a byte at a time. tower-http's body
/// timeout would not do: it restarts with every chunk, so it never fires on a trickle.
async fn read_body(State(limits): State<BodyLimits>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, limits.max_len);
    let bytes = match tokio::time::timeout(limits.timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => {
            let too_large = error.into_inner().is::<http_body_util::LengthLimitError>();
            return if too_large {
                tracing::warn!(max = limits.max_len, "webhook refused: body too large");
                (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response()
            } else {
                // The client went away or sent a malformed chunked body: nothing to verify.
                tracing::debug!("request body could not be read");
                (StatusCode::BAD_REQUEST, "body not readable").into_response()
            };
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = limits.timeout.as_millis(),
                "request body not received in time; closing the connection"
            );
            // The rest of the body may still be on its way: close rather than read it.
            let mut response = (StatusCode::REQUEST_TIMEOUT, "body too slow").into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The request's headers in the form the verifiers read.
fn pairs(headers: &HeaderMap) -> Vec<(&str, &[u8])> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect()
}

/// Every signing provider's webhook: the verifier registered under the path's last
/// segment checks the request, whatever the provider.
async fn webhook(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match app.registry.get(&name) {
        Some(verifier) if !verifier.token_in_path() => {
            handle(&app, verifier.as_ref(), &uri, &headers, &body).await
        }
        // A provider that signs nothing is only heard at its token URL.
        _ => not_found(),
    }
}

/// The callbacks of providers that sign nothing (M-Pesa, MTN MoMo), at
/// `/webhooks/{provider}/{token}`: the provider's verifier checks the token (in constant
/// time) before it reads anything. A signing provider has no such route.
async fn token_webhook(
    State(app): State<Arc<App>>,
    Path((name, _token)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match app.registry.get(&name) {
        Some(verifier) if verifier.token_in_path() => {
            handle(&app, verifier.as_ref(), &uri, &headers, &body).await
        }
        _ => not_found(),
    }
}

/// No provider is configured at this path: counted, and answered `404`.
fn not_found() -> Response {
    telemetry::record_unknown_webhook();
    StatusCode::NOT_FOUND.into_response()
}

/// Verifies the request with `verifier`, acts on what it carries and answers.
async fn handle(
    app: &App,
    verifier: &dyn WebhookVerifier,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    // Schemes that sign the URL (Twilio) need the one the provider called: the public
    // base (the server may sit behind a proxy that changes scheme, host and port)
    // followed by the path and query as received. The others ignore it.
    let path = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    let url = format!("{}{path}", app.public_url);
    let pairs = pairs(headers);
    let request = WebhookRequest::new(&pairs, body, app.clock.now()).with_url(&url);
    let verified = verifier.verify_request(&request);
    telemetry::record_webhook(verifier.provider(), &verified);
    app.receive(verifier.provider(), verified, verifier.acknowledgement())
        .await
}

impl App {
    /// Answers a verified (or refused) request, acting on each event it carries first.
    async fn receive(
        &self,
        provider: Provider,
        verified: Result<Vec<WebhookOutcome>, WebhookError>,
        acknowledgement: Option<Acknowledgement>,
    ) -> Response {
        let span = info_span!("webhook", provider = provider.as_str());
        async {
            let outcomes = match verified {
                Ok(outcomes) => outcomes,
                Err(error) => return refused(&error),
            };
            let acting = self.act_on_all(outcomes, acknowledgement);
            match tokio::time::timeout(self.handle_timeout, acting).await {
                Ok(response) => response,
                Err(_) => {
                    // Whatever was written stands; the provider's retry is then a duplicate.
                    tracing::error!(
                        timeout_ms = self.handle_timeout.as_millis(),
                        "handling took too long; answering 503 so the provider retries"
                    );
                    (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Acts on every event (SendGrid batches them), then answers: `200` when all were
    /// handled (in the body the provider expects, if it expects one), else the first
    /// failure's status. Every event is idempotent, so the provider resending the whole
    /// batch is safe.
    async fn act_on_all(
        &self,
        outcomes: Vec<WebhookOutcome>,
        acknowledgement: Option<Acknowledgement>,
    ) -> Response {
        let mut words = Vec::with_capacity(outcomes.len());
        let mut failure = None;
        for outcome in &outcomes {
            match self.act(outcome).await {
                Ok(word) => words.push(word),
                Err(status) => {
                    failure.get_or_insert(status);
                }
            }
        }
        match (failure, acknowledgement) {
            (Some(status), _) => (status, "try again").into_response(),
            (None, Some(ack)) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, ack.content_type)],
                ack.body,
            )
                .into_response(),
            (None, None) => (StatusCode::OK, words.join(", ")).into_response(),
        }
    }

    async fn act(&self, outcome: &WebhookOutcome) -> Result<&'static str, StatusCode> {
        match outcome {
            WebhookOutcome::Payment(event) => self.payment(event).await,
            WebhookOutcome::Delivery(event) => self.delivery(event).await,
            WebhookOutcome::Ignored(ignored) => {
                tracing::debug!(
                    event_type = ignored.event_type(),
                    "not an event ajo acts on"
                );
                Ok("ignored")
            }
            _ => Ok("ignored"),
        }
    }

    async fn payment(&self, event: &GatewayEvent) -> Result<&'static str, StatusCode> {
        let span = info_span!(
            "payment",
            reference = event.reference(),
            kind = event.kind().as_str(),
            idempotency_key = event.idempotency_key().as_str(),
            authentication = event.authentication().as_str(),
        );
        async {
            match self.service.handle_gateway_event(event).await {
                Ok(Handled::Recorded) => {
                    tracing::info!("recorded");
                    Ok("recorded")
                }
                Ok(Handled::Duplicate) => {
                    tracing::info!("seen before; nothing changed");
                    Ok("duplicate")
                }
                Ok(Handled::Flagged { expected, received }) => {
                    tracing::warn!(
                        %expected,
                        %received,
                        "flagged for review: money held in suspense, or a payout report not booked"
                    );
                    Ok("held for review")
                }
                Ok(Handled::UnknownReference) => {
                    tracing::warn!(
                        "flagged for review: no collection or payout has this reference"
                    );
                    Ok("unknown reference")
                }
                Ok(Handled::HeldForReview {
                    moved,
                    out_of_clearing,
                }) => {
                    tracing::warn!(
                        %moved,
                        %out_of_clearing,
                        "refund or chargeback at the gateway: booked against review"
                    );
                    Ok("held for review")
                }
                Ok(Handled::Unconfirmed { reason }) => {
                    tracing::warn!(%reason, "not confirmed by the gateway: nothing credited");
                    Ok("unconfirmed")
                }
                Ok(Handled::Ignored) => {
                    tracing::info!("nothing to do for this event");
                    Ok("ignored")
                }
                Ok(other) => {
                    tracing::info!(outcome = ?other, "handled");
                    Ok("handled")
                }
                Err(error) => Err(failed(&error)),
            }
        }
        .instrument(span)
        .await
    }

    async fn delivery(&self, event: &DeliveryEvent) -> Result<&'static str, StatusCode> {
        let span = info_span!(
            "delivery",
            message_id = event.message_id().unwrap_or(event.provider_message_id()),
            status = event.status().as_str(),
            idempotency_key = event.idempotency_key().as_str(),
        );
        async {
            match self.service.handle_delivery_event(event).await {
                Ok(()) => {
                    tracing::info!("delivery status recorded");
                    Ok("recorded")
                }
                // A retry cannot make the message appear: acknowledge it and say so.
                Err(ServiceError::Store(StoreError::UnknownMessage(_))) => {
                    tracing::warn!("flagged for review: a report for a message ajo did not send");
                    Ok("unknown message")
                }
                Err(error) => Err(failed(&error)),
            }
        }
        .instrument(span)
        .await
    }
}

/// The answer to a request that failed verification or could not be read.
fn refused(error: &WebhookError) -> Response {
    // The error names headers and counts only, never secrets or the body.
    if let WebhookError::BodyTooLarge { .. } = error {
        tracing::warn!(%error, "webhook refused");
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    }
    if error.is_rejected_request() {
        tracing::warn!(%error, "webhook refused: not proven authentic; nothing done");
        return (StatusCode::UNAUTHORIZED, "signature not verified").into_response();
    }
    if error.is_configuration() {
        tracing::error!(%error, "webhook verifier misconfigured");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    // Authentic but unreadable: a 2xx would lose it, so it stays failed (and retried) at
    // the provider, where a person can look at it.
    tracing::error!(%error, "authentic webhook could not be read; left failed at the provider for review");
    (StatusCode::UNPROCESSABLE_ENTITY, "payload not understood").into_response()
}

/// The status for a service failure: `503` for what a retry can cure (the store, a busy
/// stream), `500` otherwise. Either way the provider retries.
fn failed(error: &ServiceError) -> StatusCode {
    tracing::error!(%error, "could not handle the event; the provider will retry");
    match error {
        ServiceError::Store(_) | ServiceError::TooMuchContention { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
