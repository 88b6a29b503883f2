//! The accept loop: the router on hyper's HTTP/1 connections, with the bounds `axum::serve`
//! leaves out (it sets no timer, so no header timeout, and accepts without limit).

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::Config;

/// How long to wait before accepting again after an error that is not the client's (out of
/// file descriptors, say): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting and waits
/// for the connections still open to finish their request.
///
/// Within the bounds of `config`:
///
/// - At most [`Config::max_connections`] connections are open at once. The next client is
///   not accepted until one closes: it waits in the listener's backlog, so a flood of idle
///   sockets costs the process no more than that many file descriptors and tasks. Each
///   connection serves one request at a time (HTTP/1), so this bounds requests in flight
///   too.
/// - A connection has [`Config::header_timeout`] to send a request's head, counted from
///   when it is accepted or its previous response was sent; past that it is closed. A
///   client that trickles its headers (slow loris) and a keep-alive connection left idle
///   are both cut off, and their place goes to the next client.
/// - The body deadline ([`Config::body_timeout`]) is kept by the [router](super::router).
pub async fn serve<F>(listener: TcpListener, app: Router, config: &Config, shutdown: F)
where
    F: Future<Output = ()> + Send,
{
    let permits = Arc::new(Semaphore::new(config.max_connections()));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut full = false;
    loop {
        // Logged once each time every connection is taken, not for every waiting client.
        let now_full = permits.available_permits() == 0;
        if now_full && !full {
            tracing::warn!(
                max_connections = config.max_connections(),
                "every connection is in use; new clients wait until one closes"
            );
        }
        full = now_full;
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                // The semaphore is never closed; were it, nothing more could be served.
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    if !is_connection_error(&error) {
                        tracing::error!(%error, "accepting a connection failed; retrying in 1 s");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // A header timeout, a client that went away, a malformed request: the
                // client's doing, not the server's.
                tracing::debug!(%error, "connection closed");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down after the requests in flight");
    graceful.shutdown().await;
}

/// An accept error caused by one client, which the next accept does not share.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
