//! Where MFA state lives: users' MFA records, pending sessions and limit counters.
//!
//! [`Store`] has only the operations the flows need, each one atomic, so that a
//! session, a code and a recovery code are usable once even when many Lambda instances
//! serve one user at once. Two implementations share it: [`MemoryStore`] for local work
//! and unit tests, [`DynamoDbStore`] for everything deployed.
//!
//! Nothing stored is a usable secret: sessions are keyed by a hash of the mfaToken,
//! their payload is sealed under a key derived from that token, codes are kept as a
//! keyed digest and recovery codes as hashes. Times are Unix seconds, given by the
//! caller so that tests can move the clock.

mod dynamodb;
mod memory;

pub use dynamodb::DynamoDbStore;
pub use memory::MemoryStore;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::Username;

/// A failure of the store itself (not a lost race, which is a typed outcome).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached, or throttles: retry later.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// An item could not be read back (missing or mistyped attribute).
    #[error("store item unreadable: {0}")]
    Corrupt(#[source] anyhow::Error),
}

/// What store operations return.
pub type StoreResult<T> = Result<T, StoreError>;

/// A user's active MFA record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The user's MFA data (phone number...), sealed under the service's data key.
    pub sealed_data: String,
    /// Hashes of the unused recovery codes.
    pub recovery_hashes: Vec<String>,
    /// When MFA was activated.
    pub activated_at: u64,
}

/// Why a session exists: the two are not interchangeable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Started by `activate`, finished by `confirm`; holds the user's new MFA data.
    Activation,
    /// Started by `login`, finished by `verify`; holds the core's login answer.
    Login,
}

/// A pending MFA session, created by `activate` or `login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Hash of the mfaToken: the token itself is never stored.
    pub id: String,
    /// The user the session belongs to.
    pub username: Username,
    /// What the session is for.
    pub purpose: Purpose,
    /// Activation: the user's MFA data; login: the core's answer. Sealed under a key
    /// derived from the mfaToken, so only the token's holder can open it.
    pub sealed: String,
    /// When the session ends.
    pub expires_at: u64,
    /// Single mode: keyed digest of the latest code sent.
    pub code_digest: Option<String>,
    /// Single mode: when the latest code ends.
    pub code_expires_at: Option<u64>,
    /// Codes tried so far on this session.
    pub attempts: u32,
    /// When the latest challenge was sent.
    pub last_send_at: Option<u64>,
}

/// The latest code of a session (single mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRecord {
    /// Keyed digest of the code.
    pub digest: String,
    /// When the code ends.
    pub expires_at: u64,
}

/// What recording a send gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// The send may go; the session now holds the new code, if any.
    Recorded,
    /// The previous send was too recent.
    TooSoon {
        /// Seconds until a send is allowed.
        retry_after: u64,
    },
    /// No such live session.
    SessionGone,
}

/// What reserving an attempt gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The attempt is counted and may be checked.
    Granted,
    /// The session has used all its attempts: it is dead.
    Exhausted,
    /// No such live session.
    SessionGone,
}

/// What confirming an activation gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// The session is spent and the profile saved, in one step.
    Activated,
    /// The session was spent, expired or unknown: nothing changed.
    SessionGone,
    /// The user already has MFA active: nothing changed.
    AlreadyActive,
}

/// What counting against a limit gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterOutcome {
    /// Counted; the new value.
    Counted(u32),
    /// The limit was already reached: nothing counted.
    LimitReached,
}

/// The operations the MFA flows need, each atomic.
#[async_trait]
pub trait Store: Send + Sync {
    /// The user's MFA record, if MFA is active.
    async fn profile(&self, user: &Username) -> StoreResult<Option<Profile>>;

    /// Spends an activation session and saves the profile, both or neither.
    async fn confirm_activation(
        &self,
        session_id: &str,
        user: &Username,
        profile: &Profile,
        now: u64,
    ) -> StoreResult<ConfirmOutcome>;

    /// Turns MFA off; `false` when it was not on.
    async fn delete_profile(&self, user: &Username) -> StoreResult<bool>;

    /// Turns MFA off if `hash` is one of the user's recovery codes; `false` otherwise.
    /// Of two parallel calls with one code, exactly one gets `true`.
    async fn redeem_recovery_code(&self, user: &Username, hash: &str) -> StoreResult<bool>;

    /// Saves a new session.
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;

    /// A live session (not expired at `now`).
    async fn session(&self, id: &str, now: u64) -> StoreResult<Option<Session>>;

    /// Records a send on a live session if the previous one is at least
    /// `min_interval` seconds old, replacing the session's code when one is given.
    async fn record_send(
        &self,
        id: &str,
        now: u64,
        min_interval: u64,
        code: Option<CodeRecord>,
    ) -> StoreResult<SendOutcome>;

    /// Counts one code attempt on a live session, unless `max` are already counted.
    async fn take_attempt(&self, id: &str, max: u32, now: u64) -> StoreResult<AttemptOutcome>;

    /// Spends a live session; `true` for exactly one caller.
    async fn consume_session(&self, id: &str, now: u64) -> StoreResult<bool>;

    /// Adds one to the counter `key` unless it already reached `limit`; the counter
    /// ends at `expires_at` (its window's end).
    async fn increment_counter(
        &self,
        key: &str,
        limit: u32,
        expires_at: u64,
        now: u64,
    ) -> StoreResult<CounterOutcome>;

    /// The value of a live counter (0 when absent or ended).
    async fn counter(&self, key: &str, now: u64) -> StoreResult<u32>;
}
