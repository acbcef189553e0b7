//! The in-memory store: one process's state behind a mutex.
//!
//! For local work and unit tests only: Lambda instances share nothing but their table,
//! so a function refuses to start without one (see `context`).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{
    AttemptOutcome, CodeRecord, ConfirmOutcome, CounterOutcome, Profile, Purpose, SendOutcome,
    Session, Store, StoreResult,
};
use crate::domain::Username;

/// Every item of the store, in one lock so that each operation is atomic.
#[derive(Default)]
struct Items {
    profiles: HashMap<Username, Profile>,
    sessions: HashMap<String, Session>,
    counters: HashMap<String, (u32, u64)>,
}

/// A [`Store`] in this process's memory.
#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<Items>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn items(&self) -> std::sync::MutexGuard<'_, Items> {
        // A panic while holding the lock leaves plain data behind, still consistent
        // since every operation writes at its end.
        self.items
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn live_session<'a>(items: &'a mut Items, id: &str, now: u64) -> Option<&'a mut Session> {
    items
        .sessions
        .get_mut(id)
        .filter(|session| session.expires_at > now)
}

#[async_trait]
impl Store for MemoryStore {
    async fn profile(&self, user: &Username) -> StoreResult<Option<Profile>> {
        Ok(self.items().profiles.get(user).cloned())
    }

    async fn confirm_activation(
        &self,
        session_id: &str,
        user: &Username,
        profile: &Profile,
        now: u64,
    ) -> StoreResult<ConfirmOutcome> {
        let mut items = self.items();
        let live = live_session(&mut items, session_id, now)
            .is_some_and(|s| s.purpose == Purpose::Activation && &s.username == user);
        if !live {
            return Ok(ConfirmOutcome::SessionGone);
        }
        if items.profiles.contains_key(user) {
            return Ok(ConfirmOutcome::AlreadyActive);
        }
        items.sessions.remove(session_id);
        items.profiles.insert(user.clone(), profile.clone());
        Ok(ConfirmOutcome::Activated)
    }

    async fn delete_profile(&self, user: &Username) -> StoreResult<bool> {
        Ok(self.items().profiles.remove(user).is_some())
    }

    async fn redeem_recovery_code(&self, user: &Username, hash: &str) -> StoreResult<bool> {
        let mut items = self.items();
        let matches = items
            .profiles
            .get(user)
            .is_some_and(|p| p.recovery_hashes.iter().any(|h| h == hash));
        if matches {
            items.profiles.remove(user);
        }
        Ok(matches)
    }

    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        self.items()
            .sessions
            .insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn session(&self, id: &str, now: u64) -> StoreResult<Option<Session>> {
        Ok(live_session(&mut self.items(), id, now).cloned())
    }

    async fn record_send(
        &self,
        id: &str,
        now: u64,
        min_interval: u64,
        code: Option<CodeRecord>,
    ) -> StoreResult<SendOutcome> {
        let mut items = self.items();
        let Some(session) = live_session(&mut items, id, now) else {
            return Ok(SendOutcome::SessionGone);
        };
        if let Some(last) = session.last_send_at {
            let next = last.saturating_add(min_interval);
            if next > now {
                return Ok(SendOutcome::TooSoon {
                    retry_after: next - now,
                });
            }
        }
        session.last_send_at = Some(now);
        if let Some(code) = code {
            session.code_digest = Some(code.digest);
            session.code_expires_at = Some(code.expires_at);
        }
        Ok(SendOutcome::Recorded)
    }

    async fn take_attempt(&self, id: &str, max: u32, now: u64) -> StoreResult<AttemptOutcome> {
        let mut items = self.items();
        let Some(session) = live_session(&mut items, id, now) else {
            return Ok(AttemptOutcome::SessionGone);
        };
        if session.attempts >= max {
            return Ok(AttemptOutcome::Exhausted);
        }
        session.attempts += 1;
        Ok(AttemptOutcome::Granted)
    }

    async fn consume_session(&self, id: &str, now: u64) -> StoreResult<bool> {
        let mut items = self.items();
        let live = live_session(&mut items, id, now).is_some();
        if live {
            items.sessions.remove(id);
        }
        Ok(live)
    }

    async fn increment_counter(
        &self,
        key: &str,
        limit: u32,
        expires_at: u64,
        now: u64,
    ) -> StoreResult<CounterOutcome> {
        let mut items = self.items();
        let entry = items
            .counters
            .entry(key.to_owned())
            .or_insert((0, expires_at));
        if entry.1 <= now {
            *entry = (0, expires_at);
        }
        if entry.0 >= limit {
            return Ok(CounterOutcome::LimitReached);
        }
        entry.0 += 1;
        Ok(CounterOutcome::Counted(entry.0))
    }

    async fn counter(&self, key: &str, now: u64) -> StoreResult<u32> {
        Ok(self
            .items()
            .counters
            .get(key)
            .filter(|(_, expires_at)| *expires_at > now)
            .map_or(0, |(count, _)| *count))
    }
}
