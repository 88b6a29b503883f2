//! The metrics the service records ([`ajo_core::telemetry`]), read back through a test
//! recorder, on any [`Store`].
//!
//! The recorder is process-wide (the `metrics` facade has one), so run this suite in a
//! test binary of its own, where no other test records at the same time:
//!
//! ```no_run
//! # async fn run() {
//! use std::sync::Arc;
//! use ajo_core::ports::Store;
//! use ajo_testkit::{conformance, InMemoryStore};
//!
//! conformance::telemetry::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
//!     .await;
//! # }
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use ajo_core::ids::HandId;
use ajo_core::ports::{Clock, GatewayError, Store};
use ajo_core::service::Handled;
use ajo_core::telemetry;
use ajo_core::webhook::{GatewayEvent, PaymentEventKind, Provider};
use chrono::Duration;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

use super::review::{asked, host, naira, pay};
use crate::fakes::PayoutMode;

/// What was recorded since the last [`MetricsCapture::take`]: counters summed, the last
/// gauge readings, and the values each histogram took, by name and labels.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Recorded {
    counters: BTreeMap<Series, u64>,
    gauges: BTreeMap<Series, f64>,
    histograms: BTreeMap<Series, Vec<f64>>,
}

/// A metric's name and its labels, sorted by key.
type Series = (String, Vec<(String, String)>);

fn key(name: &str, labels: &[(&str, &str)]) -> Series {
    let mut labels: Vec<_> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    labels.sort();
    (name.to_owned(), labels)
}

impl Recorded {
    /// A counter's increase with exactly these labels (0 if never recorded).
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.counters.get(&key(name, labels)).copied().unwrap_or(0)
    }

    /// A counter's increase summed over every label set.
    pub fn counter_total(&self, name: &str) -> u64 {
        self.counters
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, v)| v)
            .sum()
    }

    /// A gauge's reading with exactly these labels, if it was ever set (a take resets a
    /// gauge to 0, so one not set since the last take reads `Some(0.0)`).
    pub fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.gauges.get(&key(name, labels)).copied()
    }

    /// The values a histogram (without labels) took.
    pub fn histogram(&self, name: &str) -> Vec<f64> {
        self.histograms
            .get(&key(name, &[]))
            .cloned()
            .unwrap_or_default()
    }
}

/// The process-wide test recorder, installed on first use.
#[derive(Debug, Clone)]
pub struct MetricsCapture {
    snapshotter: Snapshotter,
}

impl MetricsCapture {
    /// Installs the test recorder as the process's recorder, once; later calls share it.
    ///
    /// # Panics
    /// If another recorder was installed first: the metrics would go there instead.
    pub fn install() -> MetricsCapture {
        static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
        let snapshotter = SNAPSHOTTER.get_or_init(|| {
            let recorder = DebuggingRecorder::new();
            let snapshotter = recorder.snapshotter();
            recorder
                .install()
                .expect("another metrics recorder is installed in this test binary");
            snapshotter
        });
        MetricsCapture {
            snapshotter: snapshotter.clone(),
        }
    }

    /// What was recorded since the last call (a snapshot resets counters and gauges).
    pub fn take(&self) -> Recorded {
        let mut recorded = Recorded::default();
        for (composite, _, _, value) in self.snapshotter.snapshot().into_vec() {
            let (_, key) = composite.into_parts();
            let mut labels: Vec<_> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            let id = (key.name().to_owned(), labels);
            match value {
                DebugValue::Counter(n) => *recorded.counters.entry(id).or_default() += n,
                DebugValue::Gauge(g) => {
                    recorded.gauges.insert(id, g.into_inner());
                }
                DebugValue::Histogram(values) => recorded
                    .histograms
                    .entry(id)
                    .or_default()
                    .extend(values.into_iter().map(|v| v.into_inner())),
            }
        }
        recorded
    }
}

/// Runs every check, each on a fresh store from `factory`, under the process-wide test
/// recorder.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    let capture = MetricsCapture::install();
    commands_and_their_outcomes_are_counted(factory().await, &capture).await;
    conflicts_are_counted(factory().await, &capture).await;
    held_money_outbox_and_payout_failures_are_measured(factory().await, &capture).await;
}

/// Every command is counted once by its stream and how it ended: written, unchanged (a
/// duplicate webhook), or the kind of its error.
pub async fn commands_and_their_outcomes_are_counted(
    store: Arc<dyn Store>,
    capture: &MetricsCapture,
) {
    let host = host(store);
    let (id, reference) = asked(&host, "tel-commands").await;
    let _ = capture.take();
    let paid = host.gateway.pay(&reference).unwrap();
    host.service.handle_gateway_event(&paid).await.unwrap();
    let recorded = capture.take();
    assert_eq!(
        recorded.counter(
            telemetry::COMMANDS,
            &[("stream", "payment"), ("outcome", "written")]
        ),
        1,
        "{recorded:?}"
    );
    assert_eq!(
        host.service.handle_gateway_event(&paid).await.unwrap(),
        Handled::Duplicate
    );
    let again = capture.take();
    assert_eq!(
        again.counter(
            telemetry::COMMANDS,
            &[("stream", "payment"), ("outcome", "written")]
        ),
        0
    );
    assert_eq!(
        again.counter_total(telemetry::COMMANDS),
        again.counter(
            telemetry::COMMANDS,
            &[("stream", "payment"), ("outcome", "unchanged")]
        ),
        "a duplicate webhook writes nothing: {again:?}"
    );
    assert!(again.counter_total(telemetry::COMMANDS) >= 1);

    // The group refuses to start twice: its decision, inside the command loop.
    let refused = host.service.start(&id).await.unwrap_err();
    let recorded = capture.take();
    assert_eq!(
        recorded.counter(
            telemetry::COMMANDS,
            &[("stream", "group"), ("outcome", refused.kind().as_str())]
        ),
        1,
        "a refused command is counted by its error's kind ({refused}): {recorded:?}"
    );
}

/// Two commands deciding on the same state at once: the loser's conflict is counted
/// (the limits suite forces the race; see
/// [`two_requests_racing_for_the_last_room_let_one_through`](super::limits::two_requests_racing_for_the_last_room_let_one_through)).
pub async fn conflicts_are_counted(store: Arc<dyn Store>, capture: &MetricsCapture) {
    let _ = capture.take();
    super::limits::two_requests_racing_for_the_last_room_let_one_through(store).await;
    let recorded = capture.take();
    assert!(
        recorded.counter_total(telemetry::COMMAND_CONFLICTS) >= 3,
        "three forced races, each with a conflict: {recorded:?}"
    );
}

/// Money held for review shows in the held-money gauge after a tick; the tick's
/// duration, the outbox's backlog as the store counts it, each send by channel and
/// outcome, and payouts refused on sending or reported failed are all recorded.
pub async fn held_money_outbox_and_payout_failures_are_measured(
    store: Arc<dyn Store>,
    capture: &MetricsCapture,
) {
    let host = host(store);
    let (_, short) = asked(&host, "tel-held").await;
    let held = host.gateway.pay_amount(&short, naira(4_000)).unwrap();
    host.service.handle_gateway_event(&held).await.unwrap();
    // A paid contribution disputed, its ₦10,000 taken back by the card scheme.
    let (_, disputed) = asked(&host, "tel-dispute").await;
    pay(&host, &disputed).await;
    for kind in [
        PaymentEventKind::DisputeOpened,
        PaymentEventKind::DisputeFundsWithdrawn,
    ] {
        let report = GatewayEvent::new(Provider::Stripe, kind, disputed.as_str(), naira(10_000))
            .with_provider_reference("dp_tel");
        host.service.handle_gateway_event(&report).await.unwrap();
    }

    // A funded round whose payout the gateway refuses, is down for, then fails.
    let (id, reference) = asked(&host, "tel-payout").await;
    pay(&host, &reference).await;
    let bola = host
        .service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    pay(&host, &bola.reference).await;
    let _ = capture.take();
    // The messages written so far wait a minute and a half (and a few nanoseconds).
    host.clock
        .advance(Duration::seconds(90) + Duration::nanoseconds(1_234));
    host.gateway.fail_next(GatewayError::InvalidRequest {
        message: "account closed".into(),
    });
    host.service.tick().await.unwrap();
    let recorded = capture.take();
    let backlog = host
        .store
        .outbox_backlog(host.clock.now())
        .await
        .unwrap()
        .unwrap();
    assert!(
        backlog.pending > 0,
        "joins and payments left messages to send"
    );
    assert_eq!(
        recorded.gauge(telemetry::OUTBOX_PENDING, &[]),
        Some(f64::from(u32::try_from(backlog.pending).unwrap())),
        "{recorded:?}"
    );
    assert_eq!(
        recorded.gauge(telemetry::OUTBOX_DUE, &[]),
        Some(f64::from(u32::try_from(backlog.due).unwrap()))
    );
    let waited = recorded.gauge(telemetry::OUTBOX_OLDEST_DUE, &[]).unwrap();
    assert!(
        (90.0..91.0).contains(&waited),
        "the oldest due message has waited 90 s: {waited}"
    );
    assert_eq!(
        recorded.gauge(
            telemetry::MONEY_HELD,
            &[("currency", "NGN"), ("account", "suspense")]
        ),
        Some(4_000.0),
        "the short payment is held: {recorded:?}"
    );
    assert_eq!(
        recorded.gauge(
            telemetry::MONEY_HELD,
            &[("currency", "NGN"), ("account", "disputed")]
        ),
        Some(10_000.0),
        "the disputed payment is held: {recorded:?}"
    );
    assert_eq!(recorded.histogram(telemetry::TICK_DURATION).len(), 1);
    assert_eq!(
        recorded.counter(
            telemetry::PAYOUT_FAILURES,
            &[("provider", "fake"), ("stage", "send")]
        ),
        1,
        "{recorded:?}"
    );

    // An outage is not a failure: the gateway may have taken the payout.
    host.clock.advance(Duration::minutes(31));
    host.gateway.fail_next(GatewayError::Unavailable);
    host.service.tick().await.unwrap();
    assert_eq!(
        capture.take().counter_total(telemetry::PAYOUT_FAILURES),
        0,
        "an outage is not counted"
    );

    let report = host.service.deliver_outbox(1_000).await.unwrap();
    let recorded = capture.take();
    assert!(report.sent > 0);
    assert_eq!(
        recorded.counter_total(telemetry::OUTBOX_MESSAGES),
        u64::try_from(report.sent).unwrap(),
        "{recorded:?}"
    );
    assert!(
        recorded.counter(
            telemetry::OUTBOX_MESSAGES,
            &[("channel", "alert"), ("outcome", "sent")]
        ) >= 1,
        "the money-held alert: {recorded:?}"
    );

    // Sent again, the gateway answers "failed", then says so by webhook as well (another
    // event, another key), twice: one failure.
    host.gateway.set_payout_mode(PayoutMode::Fail);
    host.clock.advance(Duration::minutes(31));
    let _ = capture.take();
    host.service.tick().await.unwrap();
    let sent = host.gateway.payouts();
    let attempt = sent.keys().next().expect("the payout was sent").clone();
    let failed = host
        .gateway
        .payout_event(&attempt, PaymentEventKind::PayoutFailed)
        .unwrap();
    host.service.handle_gateway_event(&failed).await.unwrap();
    host.service.handle_gateway_event(&failed).await.unwrap();
    let recorded = capture.take();
    assert_eq!(
        recorded.counter(
            telemetry::PAYOUT_FAILURES,
            &[("provider", "fake"), ("stage", "report")]
        ),
        1,
        "one failure, however often it is told: {recorded:?}"
    );
    host.service.tick().await.unwrap();
    let recorded = capture.take();
    assert_eq!(
        recorded.gauge(telemetry::OUTBOX_PENDING, &[]),
        Some(f64::from(
            u32::try_from(
                host.store
                    .outbox_backlog(host.clock.now())
                    .await
                    .unwrap()
                    .unwrap()
                    .pending
            )
            .unwrap()
        ))
    );
}
