//! The store contract: one suite of behaviours, run on `MemoryStore` and on
//! `DynamoDbStore` (a fresh table per test on the local server `scripts/test.sh`
//! starts). Without that server the DynamoDB variants fail, saying how to run them.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pryv_mfa::domain::Username;
use pryv_mfa::store::{
    AttemptOutcome, CodeRecord, ConfirmOutcome, CounterOutcome, Profile, Purpose, SendOutcome,
    Session, Store, StoreError,
};

/// The tests' clock: far from 0, so that "in the past" is easy to write.
const NOW: u64 = 1_700_000_000;

/// Writes each contract test twice: `memory::<name>` and `dynamodb::<name>`.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(std::sync::Arc::new(pryv_mfa::store::MemoryStore::new())).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(std::sync::Arc::new(crate::support::dynamodb_store().await))
                        .await;
                }
            )*
        }
    };
}

contract!(
    a_confirmed_activation_saves_the_profile_until_it_is_deleted,
    confirm_activation_spends_the_session_once,
    confirm_activation_refuses_sessions_that_cannot_activate,
    confirm_activation_for_an_active_user_leaves_the_session_unspent,
    a_session_reads_back_as_inserted,
    an_expired_session_is_gone_for_every_operation_while_still_stored,
    record_send_enforces_the_interval_and_replaces_the_code,
    take_attempt_counts_exactly_and_exhausts_at_max,
    consume_session_is_true_once,
    a_recovery_code_redeems_once_and_only_when_listed,
    a_counter_counts_to_its_limit_and_restarts_when_its_window_ends,
    parallel_consumes_spend_a_session_once,
    parallel_attempts_grant_exactly_max,
    parallel_redeems_of_one_code_succeed_once,
    parallel_increments_count_exactly_to_the_limit,
    parallel_increments_on_an_ended_window_restart_it_once,
);

fn user(name: &str) -> Username {
    Username::parse(name).expect("a valid test username")
}

fn session(id: &str, name: &str, purpose: Purpose) -> Session {
    Session {
        id: id.to_owned(),
        username: user(name),
        purpose,
        sealed: format!("sealed-{id}"),
        expires_at: NOW + 600,
        code_digest: None,
        code_expires_at: None,
        attempts: 0,
        last_send_at: None,
    }
}

fn profile(hashes: &[&str]) -> Profile {
    Profile {
        sealed_data: "sealed-data".to_owned(),
        recovery_hashes: hashes.iter().map(|h| (*h).to_owned()).collect(),
        activated_at: NOW,
    }
}

/// Saves `profile` for `name` the only way the contract allows: an activation.
async fn activate(store: &dyn Store, name: &str, profile: &Profile) {
    let id = format!("activation-{name}");
    store
        .insert_session(&session(&id, name, Purpose::Activation))
        .await
        .expect("insert");
    let outcome = store
        .confirm_activation(&id, &user(name), profile, NOW)
        .await
        .expect("confirm");
    assert_eq!(outcome, ConfirmOutcome::Activated);
}

/// Runs `task` `n` times at once and returns the results.
async fn in_parallel<T, F, Fut>(store: &Arc<dyn Store>, n: usize, task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|_| tokio::spawn(task(store.clone()))).collect();
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        results.push(handle.await.expect("a parallel task panicked"));
    }
    results
}

async fn a_confirmed_activation_saves_the_profile_until_it_is_deleted(store: Arc<dyn Store>) {
    let saved = profile(&["hash-1", "hash-2"]);
    assert_eq!(store.profile(&user("alice")).await.expect("read"), None);

    activate(store.as_ref(), "alice", &saved).await;

    assert_eq!(
        store.profile(&user("alice")).await.expect("read"),
        Some(saved)
    );
    assert_eq!(store.profile(&user("bobby")).await.expect("read"), None);
    assert!(store.delete_profile(&user("alice")).await.expect("delete"));
    assert_eq!(store.profile(&user("alice")).await.expect("read"), None);
    assert!(!store.delete_profile(&user("alice")).await.expect("delete"));
}

async fn confirm_activation_spends_the_session_once(store: Arc<dyn Store>) {
    store
        .insert_session(&session("s1", "alice", Purpose::Activation))
        .await
        .expect("insert");
    let first = store
        .confirm_activation("s1", &user("alice"), &profile(&[]), NOW)
        .await
        .expect("confirm");
    store.delete_profile(&user("alice")).await.expect("delete");

    let second = store
        .confirm_activation("s1", &user("alice"), &profile(&[]), NOW)
        .await
        .expect("confirm");

    assert_eq!(first, ConfirmOutcome::Activated);
    assert_eq!(second, ConfirmOutcome::SessionGone, "a spent session");
    assert_eq!(store.session("s1", NOW).await.expect("read"), None);
    assert_eq!(store.profile(&user("alice")).await.expect("read"), None);
}

async fn confirm_activation_refuses_sessions_that_cannot_activate(store: Arc<dyn Store>) {
    let mut expired = session("expired", "alice", Purpose::Activation);
    expired.expires_at = NOW;
    let sessions = [
        expired,
        session("login", "alice", Purpose::Login),
        session("other-user", "bobby", Purpose::Activation),
    ];
    for stored in &sessions {
        store.insert_session(stored).await.expect("insert");
    }
    let cases = [
        ("an unknown session", "unknown"),
        ("a session that ended exactly now", "expired"),
        ("a login session", "login"),
        ("another user's session", "other-user"),
    ];

    for (description, id) in cases {
        let outcome = store
            .confirm_activation(id, &user("alice"), &profile(&[]), NOW)
            .await
            .expect("confirm");

        assert_eq!(outcome, ConfirmOutcome::SessionGone, "{description}");
        assert_eq!(
            store.profile(&user("alice")).await.expect("read"),
            None,
            "{description}"
        );
    }
    for live in ["login", "other-user"] {
        assert!(
            store.session(live, NOW).await.expect("read").is_some(),
            "{live} kept"
        );
    }
}

async fn confirm_activation_for_an_active_user_leaves_the_session_unspent(store: Arc<dyn Store>) {
    let first = profile(&["first"]);
    activate(store.as_ref(), "alice", &first).await;
    let pending = session("again", "alice", Purpose::Activation);
    store.insert_session(&pending).await.expect("insert");

    let outcome = store
        .confirm_activation("again", &user("alice"), &profile(&["second"]), NOW)
        .await
        .expect("confirm");

    assert_eq!(outcome, ConfirmOutcome::AlreadyActive);
    assert_eq!(
        store.session("again", NOW).await.expect("read"),
        Some(pending)
    );
    assert_eq!(
        store.profile(&user("alice")).await.expect("read"),
        Some(first)
    );
}

async fn a_session_reads_back_as_inserted(store: Arc<dyn Store>) {
    let mut full = session("full", "alice", Purpose::Login);
    full.code_digest = Some("digest".to_owned());
    full.code_expires_at = Some(NOW + 300);
    full.attempts = 2;
    full.last_send_at = Some(NOW - 5);
    let bare = session("bare", "bobby", Purpose::Activation);

    store.insert_session(&full).await.expect("insert");
    store.insert_session(&bare).await.expect("insert");

    assert_eq!(store.session("full", NOW).await.expect("read"), Some(full));
    assert_eq!(store.session("bare", NOW).await.expect("read"), Some(bare));
    assert_eq!(store.session("none", NOW).await.expect("read"), None);
}

async fn an_expired_session_is_gone_for_every_operation_while_still_stored(store: Arc<dyn Store>) {
    let mut old = session("old", "alice", Purpose::Login);
    old.expires_at = NOW - 10;
    store.insert_session(&old).await.expect("insert");
    let code = CodeRecord {
        digest: "d".to_owned(),
        expires_at: NOW + 60,
    };

    let read = store.session("old", NOW).await.expect("read");
    let send = store.record_send("old", NOW, 0, Some(code)).await;
    let attempt = store.take_attempt("old", 5, NOW).await;
    let consumed = store.consume_session("old", NOW).await;

    assert_eq!(read, None);
    assert_eq!(send.expect("send"), SendOutcome::SessionGone);
    assert_eq!(attempt.expect("attempt"), AttemptOutcome::SessionGone);
    assert!(!consumed.expect("consume"));
    // Still there for a clock before its end: nothing above changed it.
    assert_eq!(
        store.session("old", NOW - 20).await.expect("read"),
        Some(old)
    );
}

async fn record_send_enforces_the_interval_and_replaces_the_code(store: Arc<dyn Store>) {
    store
        .insert_session(&session("s", "alice", Purpose::Login))
        .await
        .expect("insert");
    let code = |digest: &str, expires_at| CodeRecord {
        digest: digest.to_owned(),
        expires_at,
    };

    let first = store
        .record_send("s", NOW, 30, Some(code("one", NOW + 300)))
        .await;
    let early = store
        .record_send("s", NOW + 10, 30, Some(code("two", NOW + 310)))
        .await;
    let after_early = store
        .session("s", NOW + 10)
        .await
        .expect("read")
        .expect("live");
    let on_time = store
        .record_send("s", NOW + 30, 30, Some(code("three", NOW + 330)))
        .await;
    let after = store
        .session("s", NOW + 30)
        .await
        .expect("read")
        .expect("live");
    let codeless = store.record_send("s", NOW + 60, 30, None).await;
    let unknown = store.record_send("nope", NOW, 30, None).await;

    assert_eq!(first.expect("send"), SendOutcome::Recorded);
    assert_eq!(
        early.expect("send"),
        SendOutcome::TooSoon { retry_after: 20 }
    );
    assert_eq!(
        after_early.code_digest.as_deref(),
        Some("one"),
        "a refused send keeps the code"
    );
    assert_eq!(after_early.last_send_at, Some(NOW));
    assert_eq!(on_time.expect("send"), SendOutcome::Recorded);
    assert_eq!(after.code_digest.as_deref(), Some("three"));
    assert_eq!(after.code_expires_at, Some(NOW + 330));
    assert_eq!(after.last_send_at, Some(NOW + 30));
    assert_eq!(codeless.expect("send"), SendOutcome::Recorded);
    let last = store
        .session("s", NOW + 60)
        .await
        .expect("read")
        .expect("live");
    assert_eq!(
        last.code_digest.as_deref(),
        Some("three"),
        "no new code keeps the old one"
    );
    assert_eq!(last.last_send_at, Some(NOW + 60));
    assert_eq!(unknown.expect("send"), SendOutcome::SessionGone);
}

async fn take_attempt_counts_exactly_and_exhausts_at_max(store: Arc<dyn Store>) {
    store
        .insert_session(&session("s", "alice", Purpose::Login))
        .await
        .expect("insert");

    let mut outcomes = Vec::new();
    for _ in 0..4 {
        outcomes.push(store.take_attempt("s", 3, NOW).await.expect("attempt"));
    }

    use AttemptOutcome::{Exhausted, Granted};
    assert_eq!(outcomes, [Granted, Granted, Granted, Exhausted]);
    let stored = store.session("s", NOW).await.expect("read").expect("live");
    assert_eq!(stored.attempts, 3);
    assert_eq!(
        store.take_attempt("nope", 3, NOW).await.expect("attempt"),
        AttemptOutcome::SessionGone
    );
}

async fn consume_session_is_true_once(store: Arc<dyn Store>) {
    store
        .insert_session(&session("s", "alice", Purpose::Login))
        .await
        .expect("insert");

    let first = store.consume_session("s", NOW).await.expect("consume");
    let second = store.consume_session("s", NOW).await.expect("consume");

    assert!(first);
    assert!(!second);
    assert_eq!(store.session("s", NOW).await.expect("read"), None);
    assert!(!store.consume_session("nope", NOW).await.expect("consume"));
}

async fn a_recovery_code_redeems_once_and_only_when_listed(store: Arc<dyn Store>) {
    activate(store.as_ref(), "alice", &profile(&["hash-1", "hash-2"])).await;

    let unlisted = store.redeem_recovery_code(&user("alice"), "hash-3").await;
    let partial = store.redeem_recovery_code(&user("alice"), "hash").await;
    let other_user = store.redeem_recovery_code(&user("bobby"), "hash-1").await;
    let still_active = store.profile(&user("alice")).await.expect("read").is_some();
    let listed = store.redeem_recovery_code(&user("alice"), "hash-2").await;
    let again = store.redeem_recovery_code(&user("alice"), "hash-1").await;

    assert!(!unlisted.expect("redeem"));
    assert!(
        !partial.expect("redeem"),
        "a prefix of a hash is not the hash"
    );
    assert!(!other_user.expect("redeem"));
    assert!(still_active);
    assert!(listed.expect("redeem"));
    assert!(
        !again.expect("redeem"),
        "MFA is off: nothing left to redeem"
    );
    assert_eq!(store.profile(&user("alice")).await.expect("read"), None);
}

async fn a_counter_counts_to_its_limit_and_restarts_when_its_window_ends(store: Arc<dyn Store>) {
    let window_end = NOW + 60;

    let mut outcomes = Vec::new();
    for _ in 0..4 {
        outcomes.push(
            store
                .increment_counter("k", 3, window_end, NOW)
                .await
                .expect("count"),
        );
    }
    let during = store.counter("k", NOW + 59).await.expect("read");
    let after_end = store.counter("k", window_end).await.expect("read");
    let restarted = store
        .increment_counter("k", 3, window_end + 60, window_end)
        .await
        .expect("count");
    let next = store
        .increment_counter("k", 3, window_end + 999, window_end + 1)
        .await
        .expect("count");

    use CounterOutcome::{Counted, LimitReached};
    assert_eq!(outcomes, [Counted(1), Counted(2), Counted(3), LimitReached]);
    assert_eq!(during, 3);
    assert_eq!(after_end, 0, "an ended window reads as 0");
    assert_eq!(restarted, Counted(1), "an ended window starts again at 1");
    assert_eq!(next, Counted(2), "the new window keeps its own end");
    assert_eq!(store.counter("k", window_end + 60).await.expect("read"), 0);
    assert_eq!(store.counter("other", NOW).await.expect("read"), 0);
}

async fn parallel_consumes_spend_a_session_once(store: Arc<dyn Store>) {
    store
        .insert_session(&session("s", "alice", Purpose::Login))
        .await
        .expect("insert");

    let results = in_parallel(&store, 20, |store| async move {
        store.consume_session("s", NOW).await.expect("consume")
    })
    .await;

    assert_eq!(results.iter().filter(|spent| **spent).count(), 1);
}

async fn parallel_attempts_grant_exactly_max(store: Arc<dyn Store>) {
    store
        .insert_session(&session("s", "alice", Purpose::Login))
        .await
        .expect("insert");

    let results = in_parallel(&store, 20, |store| async move {
        store.take_attempt("s", 5, NOW).await.expect("attempt")
    })
    .await;

    let count = |wanted| results.iter().filter(|r| **r == wanted).count();
    assert_eq!(count(AttemptOutcome::Granted), 5);
    assert_eq!(count(AttemptOutcome::Exhausted), 15);
    let stored = store.session("s", NOW).await.expect("read").expect("live");
    assert_eq!(stored.attempts, 5);
}

async fn parallel_redeems_of_one_code_succeed_once(store: Arc<dyn Store>) {
    activate(store.as_ref(), "alice", &profile(&["hash-1"])).await;

    let results = in_parallel(&store, 2, |store| async move {
        store
            .redeem_recovery_code(&user("alice"), "hash-1")
            .await
            .expect("redeem")
    })
    .await;

    assert_eq!(results.iter().filter(|redeemed| **redeemed).count(), 1);
}

/// Counts each outcome of parallel increments.
fn tally(results: &[CounterOutcome]) -> BTreeMap<String, usize> {
    let mut tally = BTreeMap::new();
    for result in results {
        *tally.entry(format!("{result:?}")).or_default() += 1;
    }
    tally
}

async fn parallel_increments_count_exactly_to_the_limit(store: Arc<dyn Store>) {
    let results = in_parallel(&store, 20, |store| async move {
        store
            .increment_counter("k", 10, NOW + 60, NOW)
            .await
            .expect("count")
    })
    .await;

    let tally = tally(&results);
    assert_eq!(tally.get("LimitReached"), Some(&10), "{tally:?}");
    for value in 1..=10 {
        assert_eq!(
            tally.get(&format!("Counted({value})")),
            Some(&1),
            "{tally:?}"
        );
    }
    assert_eq!(store.counter("k", NOW).await.expect("read"), 10);
}

async fn parallel_increments_on_an_ended_window_restart_it_once(store: Arc<dyn Store>) {
    for _ in 0..10 {
        store
            .increment_counter("k", 10, NOW, NOW - 30)
            .await
            .expect("count");
    }

    let results = in_parallel(&store, 20, |store| async move {
        store
            .increment_counter("k", 10, NOW + 60, NOW)
            .await
            .expect("count")
    })
    .await;

    let tally = tally(&results);
    assert_eq!(tally.get("LimitReached"), Some(&10), "{tally:?}");
    for value in 1..=10 {
        assert_eq!(
            tally.get(&format!("Counted({value})")),
            Some(&1),
            "{tally:?}"
        );
    }
    assert_eq!(store.counter("k", NOW + 59).await.expect("read"), 10);
}

#[tokio::test]
async fn dynamodb_table_creation_is_idempotent() {
    let store = support::dynamodb_store().await;

    let again = store.create_table_if_missing().await;

    assert!(again.is_ok(), "{again:?}");
    assert_eq!(store.profile(&user("alice")).await.expect("read"), None);
}

#[tokio::test]
async fn a_missing_dynamodb_table_is_unavailable_and_named_as_such() {
    let store = support::dynamodb_store_without_table().await;

    let failure = store.session("s", NOW).await;

    let Err(StoreError::Unavailable(cause)) = failure else {
        panic!("expected Unavailable, got {failure:?}");
    };
    let text = format!("{cause:#}");
    assert!(text.contains("GetItem"), "{text}");
    assert!(text.contains("ResourceNotFoundException"), "{text}");
    assert!(!text.contains("session#"), "no key in the text: {text}");
}

/// Every operation of a store whose endpoint is a closed port answers
/// `Unavailable`, each within a few seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreachable_dynamodb_is_unavailable_within_seconds() {
    let store = support::unreachable_dynamodb_store().await;
    let limit = Duration::from_secs(6);
    // Each call runs on its own task, all at once: the retries' waits overlap.
    macro_rules! timed {
        ($name:literal, |$store:ident| $call:expr) => {{
            let $store = store.clone();
            let task = tokio::spawn(async move {
                let started = Instant::now();
                let failure = $call.await.err();
                (started.elapsed(), failure)
            });
            ($name, task)
        }};
    }

    let calls = [
        timed!("profile", |s| s.profile(&user("alice"))),
        timed!("confirm_activation", |s| s.confirm_activation(
            "s",
            &user("alice"),
            &profile(&[]),
            NOW
        )),
        timed!("delete_profile", |s| s.delete_profile(&user("alice"))),
        timed!("redeem_recovery_code", |s| s
            .redeem_recovery_code(&user("alice"), "h")),
        timed!("insert_session", |s| s.insert_session(&session(
            "s",
            "alice",
            Purpose::Login
        ))),
        timed!("session", |s| s.session("s", NOW)),
        timed!("record_send", |s| s.record_send("s", NOW, 0, None)),
        timed!("take_attempt", |s| s.take_attempt("s", 5, NOW)),
        timed!("consume_session", |s| s.consume_session("s", NOW)),
        timed!("increment_counter", |s| s.increment_counter(
            "k",
            5,
            NOW + 60,
            NOW
        )),
        timed!("counter", |s| s.counter("k", NOW)),
        timed!("create_table_if_missing", |s| s.create_table_if_missing()),
    ];

    for (name, task) in calls {
        let (elapsed, failure) = task.await.expect("a store call panicked");
        let Some(StoreError::Unavailable(cause)) = failure else {
            panic!("{name}: {failure:?}");
        };
        let text = format!("{cause:#}");
        assert!(text.contains("DynamoDB"), "{name}: {text}");
        assert!(elapsed < limit, "{name} took {elapsed:?}");
    }
}
