//! `GET /metrics`: what ajo records ([`ajo_core::telemetry`]) in Prometheus text, through
//! metrics-exporter-prometheus, on a listener of its own (`AJO_METRICS_ADDR`).

use std::sync::OnceLock;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Installs the Prometheus recorder as the process's metrics recorder, once, and tells it
/// what each of ajo's metrics means; later calls answer the same handle. `None` when
/// another recorder was installed first (the metrics then go there).
pub fn install() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => {
                ajo_core::telemetry::describe();
                Some(handle)
            }
            Err(error) => {
                tracing::warn!(%error, "metrics recorder not installed: /metrics stays empty");
                None
            }
        })
        .clone()
}

/// The metrics router: `GET /metrics` answers what `handle`'s recorder holds.
pub fn router(handle: PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state(handle)
}

async fn render(State(handle): State<PrometheusHandle>) -> impl IntoResponse {
    // Without the exporter's own runtime, its upkeep (draining histograms) runs here.
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}
