//! An HTTP server for payment and delivery webhooks: verifies each provider's signature
//! over the raw body and hands the event to the service.
//!
//! `cargo run -p ajo-examples --example webhook_server`, configured from the environment:
//! `AJO_ADDR` (default `127.0.0.1:8080`), `PAYSTACK_SECRET_KEY`,
//! `FLUTTERWAVE_SECRET_HASH`, `STRIPE_WEBHOOK_SECRET`, `SENDGRID_WEBHOOK_PUBLIC_KEY`,
//! `TWILIO_AUTH_TOKEN` with `AJO_PUBLIC_URL` (each with a `_PREVIOUS` twin while a key is
//! rolled), and `DATABASE_URL` for PostgreSQL (else the in-memory store), with
//! `AJO_PG_SCHEMA` naming the schema its tables are in. Limits:
//! `AJO_HEADER_TIMEOUT_MS` (10000), `AJO_BODY_TIMEOUT_MS` (30000), `AJO_MAX_CONNECTIONS`
//! (512), `SENDGRID_WEBHOOK_TOLERANCE_SECS` (300); `FLUTTERWAVE_ACCEPT_VERIF_HASH=true`
//! accepts Flutterwave's static `verif-hash` (warned about at start). The service's gateway
//! and senders come from the API keys (`PAYSTACK_SECRET_KEY`, `FLUTTERWAVE_SECRET_KEY`,
//! `STRIPE_SECRET_KEY`, `SENDGRID_API_KEY` with `AJO_EMAIL_FROM`, `TWILIO_ACCOUNT_SID` with
//! `TWILIO_FROM`), else testkit fakes. See `ajo_examples::webhook_server` for what each answer means and
//! `ajo_examples::webhook_server::vars` for every variable. `AJO_METRICS_ADDR` serves
//! `GET /metrics` (Prometheus text) on a listener of its own.

use std::process::ExitCode;

use ajo_examples::webhook_server::{self, Config};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "webhook_server stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    webhook_server::announce(&config);
    let (service, clock) = webhook_server::wiring::service(&config).await?;
    let app = webhook_server::router(&config, service, clock)?;
    if let Some(addr) = config.metrics_addr()
        && let Some(handle) = webhook_server::metrics::install()
    {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(addr = %listener.local_addr()?, "metrics at /metrics");
        let metrics = webhook_server::metrics::router(handle);
        let config = config.clone();
        tokio::spawn(async move {
            webhook_server::serve(listener, metrics, &config, std::future::pending::<()>()).await;
        });
    }
    let listener = tokio::net::TcpListener::bind(config.addr()).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    // Not `axum::serve`: it has no header timeout and no connection limit.
    webhook_server::serve(listener, app, &config, async {
        // If the signal handler cannot be installed, run until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
    .await;
    Ok(())
}
