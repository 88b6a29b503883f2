//! States the service has built (groups and loans), so a command reads only the events
//! after them.

use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hashlink::LruCache;

use crate::aggregate::Aggregate;
use crate::ids::{GroupId, MemberId};

/// The most recently used states of one kind of aggregate, each at its stream's version
/// ([`Aggregate::version`]) with the last event it applied.
///
/// A kept state is only ever brought forward by its stream's later events, read from the
/// store, so it is never ahead of what it was built from: each command still reads the
/// events after it, and every append still checks the version it decided on. Each read
/// also asks for the kept last event again: if the store holds another event at that
/// version, or none (a database restored to an earlier point), the state is dropped and
/// the stream read whole. States are shared ([`Arc`]): reading one copies nothing, and a
/// command copies it only to apply the events it writes.
pub(super) struct StateCache<A: Aggregate, K> {
    states: Option<Mutex<LruCache<K, Kept<A>>>>,
}

/// A kept state and the last event applied to it.
pub(super) struct Kept<A: Aggregate> {
    pub(super) state: Arc<A>,
    pub(super) last: A::Event,
}

impl<A: Aggregate> Clone for Kept<A> {
    fn clone(&self) -> Self {
        Kept {
            state: Arc::clone(&self.state),
            last: self.last.clone(),
        }
    }
}

impl<A: Aggregate, K: Clone + Eq + Hash> StateCache<A, K> {
    /// A cache of at most `capacity` states; 0 keeps nothing.
    pub(super) fn new(capacity: usize) -> Self {
        StateCache {
            states: (capacity > 0).then(|| Mutex::new(LruCache::new(capacity))),
        }
    }

    fn lock(&self) -> Option<MutexGuard<'_, LruCache<K, Kept<A>>>> {
        // A panic while holding the lock cannot leave a state half-written (insert and
        // remove are single calls), so a poisoned lock is still sound to use.
        self.states
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The kept state, if any (shared, not copied).
    pub(super) fn get(&self, id: &K) -> Option<Kept<A>> {
        self.lock()?.get(id).cloned()
    }

    /// `f` of the kept state, if any.
    pub(super) fn peek<R>(&self, id: &K, f: impl FnOnce(&A) -> R) -> Option<R> {
        self.lock()?.peek(id).map(|kept| f(&kept.state))
    }

    /// Keeps `state`, whose last applied event is `last`, unless a state further on is
    /// kept already (another task may have read later events first).
    pub(super) fn put(&self, id: &K, state: Arc<A>, last: A::Event) {
        let Some(mut states) = self.lock() else {
            return;
        };
        if states
            .peek(id)
            .is_some_and(|kept| kept.state.version() > state.version())
        {
            return;
        }
        states.insert(id.clone(), Kept { state, last });
    }

    /// Drops the state.
    pub(super) fn forget(&self, id: &K) {
        if let Some(mut states) = self.lock() {
            states.remove(id);
        }
    }

    fn len(&self) -> usize {
        self.lock().map_or(0, |s| s.len())
    }
}

impl<A: Aggregate, K: Clone + Eq + Hash> fmt::Debug for StateCache<A, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateCache")
            .field("kept", &self.len())
            .finish_non_exhaustive()
    }
}

/// For the collections this service recorded lately, by reference, whose group and
/// member they are: so the webhook that settles one can read the collection, the group
/// and the payer's profile in one call. Only a guess: the collection's own record
/// decides, and a wrong or missing guess costs one more read.
pub(super) struct Payers {
    payers: Option<Mutex<LruCache<String, (GroupId, MemberId)>>>,
}

impl Payers {
    /// At most `capacity` collections; 0 keeps none.
    pub(super) fn new(capacity: usize) -> Payers {
        Payers {
            payers: (capacity > 0).then(|| Mutex::new(LruCache::new(capacity))),
        }
    }

    fn lock(&self) -> Option<MutexGuard<'_, LruCache<String, (GroupId, MemberId)>>> {
        self.payers
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Notes whose collection `reference` is.
    pub(super) fn note(&self, reference: &str, group: &GroupId, member: &MemberId) {
        if let Some(mut payers) = self.lock() {
            payers.insert(reference.to_owned(), (group.clone(), member.clone()));
        }
    }

    /// The group and member noted for `reference`, if any.
    pub(super) fn guess(&self, reference: &str) -> Option<(GroupId, MemberId)> {
        self.lock()?.get(reference).cloned()
    }
}

impl fmt::Debug for Payers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payers")
            .field("collections", &self.lock().map_or(0, |p| p.len()))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{GroupEvent, GroupState};
    use crate::money::{Currency, Money};

    fn joined() -> GroupEvent {
        GroupEvent::MemberJoined {
            member: crate::group::MemberId::new("m1").unwrap(),
            hands: 1,
            deposit_required: Money::zero(Currency::NGN),
        }
    }

    fn state_at(version: u64) -> GroupState {
        GroupState::replay(std::iter::repeat_n(
            &joined(),
            usize::try_from(version).unwrap(),
        ))
    }

    #[test]
    fn keeps_the_state_furthest_on_and_drops_the_least_recently_used() {
        let cache = StateCache::<GroupState, GroupId>::new(2);
        let (a, b, c) = (
            GroupId::new("a").unwrap(),
            GroupId::new("b").unwrap(),
            GroupId::new("c").unwrap(),
        );
        cache.put(&a, Arc::new(state_at(3)), joined());
        cache.put(&a, Arc::new(state_at(2)), joined());
        assert_eq!(
            cache.get(&a).map(|k| k.state.version()),
            Some(3),
            "an older state never replaces a newer one"
        );
        cache.put(&b, Arc::new(state_at(1)), joined());
        assert!(cache.get(&a).is_some(), "a is now the most recently used");
        cache.put(&c, Arc::new(state_at(1)), joined());
        assert!(cache.get(&b).is_none(), "b was the least recently used");
        assert_eq!(cache.peek(&c, GroupState::version), Some(1));
        cache.forget(&a);
        assert!(cache.get(&a).is_none());
    }

    #[test]
    fn payers_are_guessed_by_reference() {
        let payers = Payers::new(1);
        let (g, m) = (GroupId::new("g").unwrap(), MemberId::new("m").unwrap());
        payers.note("ref-1", &g, &m);
        assert_eq!(payers.guess("ref-1"), Some((g.clone(), m.clone())));
        payers.note("ref-2", &g, &m);
        assert_eq!(payers.guess("ref-1"), None, "only the most recent is kept");
        assert!(Payers::new(0).guess("ref-2").is_none());
    }

    #[test]
    fn a_cache_of_no_groups_keeps_nothing() {
        let cache = StateCache::<GroupState, GroupId>::new(0);
        let a = GroupId::new("a").unwrap();
        cache.put(&a, Arc::new(state_at(1)), joined());
        assert!(cache.get(&a).is_none());
    }
}
