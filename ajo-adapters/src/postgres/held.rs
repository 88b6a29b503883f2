//! Connections the store keeps between its own reads and appends.
//!
//! sqlx 0.8 pings every connection handed back to its pool, in a task of its own: one
//! more round trip, and one more wake-up of the server and of the host, after each of a
//! contribution's five statements, with no option to turn it off (docs/performance.md).
//! A read or an append that succeeded leaves its connection here instead, and the next
//! one takes it from here, so a connection in steady use goes back through sqlx only
//! after [`CYCLE`]: sqlx then checks it as it always does (the ping, `max_lifetime`).
//!
//! What the pool is owed in return:
//! - a connection is kept only while the pool still has an idle connection or room to
//!   open one, so the store's keeping alone never leaves a host's own
//!   `pool().acquire()` waiting;
//! - one idle for [`IDLE_LIMIT`] goes back to the pool, where a ping tests it before it
//!   is handed out again, as for every connection idle that long;
//! - when the pool is closed every kept connection goes back, so `pool().close()` ends;
//! - a statement that failed or was cancelled gives its connection back through sqlx,
//!   which tests it and closes it if it is broken.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};
use tokio::runtime::Handle;

/// A kept connection idle this long goes back to the pool (and is pinged there before
/// anyone uses it again).
pub(super) const IDLE_LIMIT: Duration = super::PING_AFTER_IDLE;

/// A connection goes back through sqlx's own checks at least this often while in use.
const CYCLE: Duration = Duration::from_secs(300);

/// The store's kept connections; `None` when the store was made outside a tokio
/// runtime (nothing could watch for the pool's close), in which case every statement
/// takes its connection from the pool and gives it back, as sqlx does by default.
#[derive(Clone, Default)]
pub(super) struct Held {
    shelf: Option<Arc<Shelf>>,
}

struct Shelf {
    kept: Mutex<Vec<Kept>>,
    /// The runtime the store was made in: a kept connection hands itself back to sqlx
    /// by spawning a task, which needs one, even when the store is dropped outside it.
    runtime: Handle,
}

struct Kept {
    conn: PoolConnection<Postgres>,
    /// When this connection last came out of sqlx's pool.
    from_pool: Instant,
    /// When it was last put here.
    idle_since: Instant,
}

/// A connection for one statement: [`Lease::done`] after it succeeded keeps the
/// connection; dropping the lease gives it back to sqlx.
pub(super) struct Lease<'a> {
    conn: PoolConnection<Postgres>,
    from_pool: Instant,
    pool: &'a PgPool,
    shelf: Option<&'a Shelf>,
}

impl Held {
    /// Keeps connections of `pool`, watched by a task on the current tokio runtime; with
    /// no runtime, keeps none.
    pub(super) fn new(pool: &PgPool) -> Held {
        let Ok(runtime) = Handle::try_current() else {
            return Held::default();
        };
        let shelf = Arc::new(Shelf {
            kept: Mutex::new(Vec::new()),
            runtime: runtime.clone(),
        });
        runtime.spawn(watch(Arc::downgrade(&shelf), pool.clone()));
        Held { shelf: Some(shelf) }
    }

    /// A connection: a kept one if there is one fit to use, else one from the pool.
    pub(super) async fn lease<'a>(&'a self, pool: &'a PgPool) -> Result<Lease<'a>, sqlx::Error> {
        let shelf = self.shelf.as_deref();
        // A closed pool answers `PoolClosed`, even while its watcher has yet to empty
        // the shelf.
        if let Some(kept) = shelf.filter(|_| !pool.is_closed()).and_then(Shelf::take) {
            return Ok(Lease {
                conn: kept.conn,
                from_pool: kept.from_pool,
                pool,
                shelf,
            });
        }
        Ok(Lease {
            conn: pool.acquire().await?,
            from_pool: Instant::now(),
            pool,
            shelf,
        })
    }

    /// How many connections are kept now (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.shelf
            .as_ref()
            .and_then(|s| s.kept.lock().ok().map(|k| k.len()))
            .unwrap_or(0)
    }
}

impl Shelf {
    /// The most recently kept connection, unless it sat idle too long: that one (and
    /// any older) goes back to the pool.
    fn take(&self) -> Option<Kept> {
        let mut stale = Vec::new();
        let found = {
            let mut kept = self.kept.lock().ok()?;
            let found = kept.pop();
            match found {
                Some(k) if k.idle_since.elapsed() < IDLE_LIMIT => Some(k),
                Some(k) => {
                    // The rest were kept earlier still: all of them are stale.
                    stale.push(k);
                    stale.append(&mut kept);
                    None
                }
                None => None,
            }
        };
        // Dropped outside the lock: each spawns its hand-back to sqlx.
        drop(stale);
        found
    }

    /// Takes out the kept connections `stale` picks; dropping them hands them back.
    fn take_if(&self, stale: impl Fn(&Kept) -> bool) -> Vec<Kept> {
        let Ok(mut kept) = self.kept.lock() else {
            return Vec::new();
        };
        let (out, stay): (Vec<Kept>, Vec<Kept>) = kept.drain(..).partition(|k| stale(k));
        *kept = stay;
        out
    }
}

impl Drop for Shelf {
    fn drop(&mut self) {
        // Each connection's drop spawns its return to sqlx: inside the store's runtime,
        // even when the last clone of the store is dropped outside it.
        let _entered = self.runtime.enter();
        if let Ok(kept) = self.kept.get_mut() {
            kept.clear();
        }
    }
}

impl Lease<'_> {
    /// The connection, to run one statement on.
    pub(super) fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// The statement succeeded: keep the connection for the next one, unless the pool
    /// needs it back (closed, or no idle connection and no room to open one) or it is
    /// due for sqlx's own checks.
    pub(super) fn done(self) {
        let Lease {
            conn,
            from_pool,
            pool,
            shelf,
        } = self;
        let Some(shelf) = shelf else { return };
        if from_pool.elapsed() >= CYCLE {
            return;
        }
        let Ok(mut kept) = shelf.kept.lock() else {
            return;
        };
        // Checked under the lock: the watcher empties the shelf under it once the pool
        // is marked closed, so nothing is kept after that.
        let spare = pool.num_idle() > 0 || pool.size() < pool.options().get_max_connections();
        if pool.is_closed() || !spare {
            drop(kept);
            drop(conn);
            return;
        }
        kept.push(Kept {
            conn,
            from_pool,
            idle_since: Instant::now(),
        });
    }
}

/// Gives back connections idle too long, and all of them once the pool is closed; ends
/// then, or once the store is gone.
async fn watch(shelf: Weak<Shelf>, pool: PgPool) {
    let closed = pool.close_event();
    // Only the close event is awaited: the pool itself must not be kept open by this task.
    drop(pool);
    let mut closed = std::pin::pin!(closed);
    loop {
        let is_closed = tokio::time::timeout(IDLE_LIMIT, closed.as_mut())
            .await
            .is_ok();
        let Some(shelf) = shelf.upgrade() else { return };
        let out = shelf.take_if(|k| is_closed || k.idle_since.elapsed() >= IDLE_LIMIT);
        drop(shelf);
        drop(out);
        if is_closed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    //! The shelf's rules with a pool that opens no connection (`connect_lazy`): only
    //! what needs no server. With a server: `tests/postgres.rs`.
    use super::*;

    #[test]
    fn made_outside_a_runtime_it_keeps_nothing() {
        let held = Held::default();
        assert!(held.shelf.is_none());
        assert_eq!(held.len(), 0);
    }

    #[tokio::test]
    async fn made_in_a_runtime_it_has_a_shelf_and_its_watcher_ends_with_the_pool() {
        let pool = PgPool::connect_lazy("postgres://postgres@127.0.0.1:1/none").unwrap();
        let held = Held::new(&pool);
        assert!(held.shelf.is_some());
        assert_eq!(held.len(), 0);
        // Closing a pool with nothing kept ends at once.
        tokio::time::timeout(Duration::from_secs(5), pool.close())
            .await
            .unwrap();
    }
}
