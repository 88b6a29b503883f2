//! The metrics ajo records, through the [`metrics`] facade.
//!
//! ajo forces no exporter on its host: until the host installs a recorder (Prometheus,
//! StatsD, OpenTelemetry, anything the facade speaks to), every call below is a no-op
//! that costs a relaxed atomic load. Install one, then call [`describe`] so the exporter
//! knows each metric's unit and meaning:
//!
//! ```
//! use ajo_core::telemetry;
//!
//! // A host would install its recorder first (metrics_exporter_prometheus, say).
//! telemetry::describe();
//! assert!(telemetry::NAMES.contains(&"ajo_webhooks_refused_total"));
//! ```
//!
//! | name | kind | labels | what |
//! | --- | --- | --- | --- |
//! | `ajo_webhooks_verified_total` | counter | `provider` | requests proven authentic and read |
//! | `ajo_webhooks_refused_total` | counter | `provider`, `reason` | requests refused ([`WebhookError::reason`](crate::webhook::WebhookError::reason)) |
//! | `ajo_commands_total` | counter | `stream`, `outcome` | commands run by the service, by the kind of stream they write and how they ended (`written`, `unchanged`, or the error's kind) |
//! | `ajo_command_conflicts_total` | counter | `stream` | appends that found a stream moved by another writer |
//! | `ajo_outbox_messages_total` | counter | `channel`, `outcome` | send attempts by `deliver_outbox` (`sent`, `retried`, `failed`) |
//! | `ajo_outbox_pending` | gauge | | messages waiting to be sent, read by `tick` |
//! | `ajo_outbox_due` | gauge | | of those, the ones due now |
//! | `ajo_outbox_oldest_due_seconds` | gauge | | how long the oldest due message has waited |
//! | `ajo_payout_failures_total` | counter | `provider`, `stage` | payouts the gateway refused on sending (`send`; not outages) or answered or reported failed or reversed (`report`; once per send) |
//! | `ajo_tick_duration_seconds` | histogram | | how long one `tick` took |
//! | `ajo_money_held` | gauge | `currency`, `account` | money held for review (`suspense`) or under a chargeback (`disputed`), in major units, read by `tick` |
//!
//! Label values are fixed words or configured names (providers, currencies), never
//! references or member ids, so a metric's series stay few.
//!
//! `ajo_money_held` is a reading for a dashboard: the amount is converted to a float at
//! this last step, because that is what metrics carry. The books are exact; the review
//! queue ([`AjoService::held`](crate::service::AjoService::held)) is the truth.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

use crate::webhook::{Provider, WebhookError};

/// Webhook requests proven authentic and read, by `provider`.
pub const WEBHOOKS_VERIFIED: &str = "ajo_webhooks_verified_total";
/// Webhook requests refused, by `provider` and `reason`.
pub const WEBHOOKS_REFUSED: &str = "ajo_webhooks_refused_total";
/// Commands run, by `stream` kind and `outcome`.
pub const COMMANDS: &str = "ajo_commands_total";
/// Appends that found a stream moved by another writer, by that `stream`'s kind.
pub const COMMAND_CONFLICTS: &str = "ajo_command_conflicts_total";
/// Outbox send attempts, by `channel` and `outcome`.
pub const OUTBOX_MESSAGES: &str = "ajo_outbox_messages_total";
/// Outbox messages waiting to be sent.
pub const OUTBOX_PENDING: &str = "ajo_outbox_pending";
/// Outbox messages due now.
pub const OUTBOX_DUE: &str = "ajo_outbox_due";
/// Seconds the oldest due outbox message has waited past its due time.
pub const OUTBOX_OLDEST_DUE: &str = "ajo_outbox_oldest_due_seconds";
/// Payouts refused on sending (not outages) or answered or reported failed or reversed
/// (once per send), by `provider` and `stage`.
pub const PAYOUT_FAILURES: &str = "ajo_payout_failures_total";
/// How long each `tick` took, in seconds.
pub const TICK_DURATION: &str = "ajo_tick_duration_seconds";
/// Money held for review or under a chargeback, by `currency` and `account`, in major
/// units.
pub const MONEY_HELD: &str = "ajo_money_held";

/// Every metric name ajo records.
pub const NAMES: [&str; 11] = [
    WEBHOOKS_VERIFIED,
    WEBHOOKS_REFUSED,
    COMMANDS,
    COMMAND_CONFLICTS,
    OUTBOX_MESSAGES,
    OUTBOX_PENDING,
    OUTBOX_DUE,
    OUTBOX_OLDEST_DUE,
    PAYOUT_FAILURES,
    TICK_DURATION,
    MONEY_HELD,
];

/// Tells the installed recorder each metric's unit and meaning (an exporter prints them
/// as `# HELP` lines). Call it once, after installing the recorder; calling it again
/// changes nothing.
pub fn describe() {
    describe_counter!(
        WEBHOOKS_VERIFIED,
        Unit::Count,
        "Webhook requests proven authentic and read, by provider."
    );
    describe_counter!(
        WEBHOOKS_REFUSED,
        Unit::Count,
        "Webhook requests refused, by provider and reason."
    );
    describe_counter!(
        COMMANDS,
        Unit::Count,
        "Commands run by the ajo service, by stream kind and outcome."
    );
    describe_counter!(
        COMMAND_CONFLICTS,
        Unit::Count,
        "Appends that found a stream moved by another writer, by stream kind."
    );
    describe_counter!(
        OUTBOX_MESSAGES,
        Unit::Count,
        "Outbox send attempts, by channel and outcome."
    );
    describe_gauge!(
        OUTBOX_PENDING,
        Unit::Count,
        "Outbox messages waiting to be sent."
    );
    describe_gauge!(OUTBOX_DUE, Unit::Count, "Outbox messages due now.");
    describe_gauge!(
        OUTBOX_OLDEST_DUE,
        Unit::Seconds,
        "How long the oldest due outbox message has waited past its due time."
    );
    describe_counter!(
        PAYOUT_FAILURES,
        Unit::Count,
        "Payouts refused on sending or reported failed or reversed, by provider and stage."
    );
    describe_histogram!(
        TICK_DURATION,
        Unit::Seconds,
        "How long one tick of the ajo service took."
    );
    describe_gauge!(
        MONEY_HELD,
        "Money held for review or under a chargeback, by currency and account, in major units."
    );
}

/// Counts one webhook request `provider`'s verifier answered: verified, or refused with
/// the error's [`reason`](WebhookError::reason).
/// [`WebhookRegistry::verify`](crate::webhook::WebhookRegistry::verify) calls it; a host
/// that routes to verifiers itself calls it after
/// [`verify_request`](crate::webhook::WebhookVerifier::verify_request).
pub fn record_webhook<T>(provider: Provider, result: &Result<T, WebhookError>) {
    let provider = provider.as_str();
    match result {
        Ok(_) => metrics::counter!(WEBHOOKS_VERIFIED, "provider" => provider).increment(1),
        Err(error) => metrics::counter!(
            WEBHOOKS_REFUSED,
            "provider" => provider,
            "reason" => error.reason()
        )
        .increment(1),
    }
}

/// Counts one webhook request for a provider that is not configured (a server answers
/// `404`), as refused under the provider `unknown` with the reason `unknown_provider`:
/// what a stranger puts in a path never becomes a label.
pub fn record_unknown_webhook() {
    metrics::counter!(
        WEBHOOKS_REFUSED,
        "provider" => "unknown",
        "reason" => "unknown_provider"
    )
    .increment(1);
}
