//! Races, on both stores: what is usable once stays usable once under parallel
//! requests, and parallel guesses are all counted.

use std::collections::BTreeMap;

use mfa_tests::{both_stores, spawn_app, Answer, Mode, StoreKind, TestApp, TestOptions};
use tokio::task::JoinSet;

const PARALLEL: usize = 20;

/// Runs `PARALLEL` copies of a call at once and counts the answers by status and
/// error id.
async fn in_parallel<F, Fut>(app: &TestApp, call: F) -> BTreeMap<(u16, String), usize>
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = Answer> + Send + 'static,
{
    let mut calls = JoinSet::new();
    for _ in 0..PARALLEL {
        calls.spawn(call(app.clone()));
    }
    let mut counts = BTreeMap::new();
    while let Some(answer) = calls.join_next().await {
        let answer = answer.unwrap_or_else(|e| panic!("a call panicked: {e}"));
        let key = (answer.status, answer.error_id().unwrap_or_default());
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

fn count(counts: &BTreeMap<(u16, String), usize>, status: u16, id: &str) -> usize {
    counts
        .get(&(status, id.to_owned()))
        .copied()
        .unwrap_or_default()
}

/// 20 parallel verifies with the right code on one session: exactly one 200.
async fn parallel_right_codes_log_in_exactly_once(store: StoreKind) {
    for mode in [Mode::SingleGet, Mode::ChallengeVerify] {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);
        let code = app.current_code().await;

        let counts = in_parallel(&app, |app| {
            let (token, code) = (token.clone(), code.clone());
            async move { app.verify(&token, &code).await }
        })
        .await;

        assert_eq!(count(&counts, 200, ""), 1, "{mode:?}: {counts:?}");
        assert_eq!(
            count(&counts, 403, "forbidden"),
            PARALLEL - 1,
            "{mode:?}: {counts:?}"
        );
    }
}

/// 20 parallel wrong codes: exactly `attemptsPerSession` (5) are checked, the rest
/// are refused, and the session is dead for the right code too.
async fn parallel_wrong_codes_are_all_counted(store: StoreKind) {
    for mode in [Mode::SingleGet, Mode::ChallengeVerify] {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);
        let wrong = app.wrong_code().await;

        let counts = in_parallel(&app, |app| {
            let (token, wrong) = (token.clone(), wrong.clone());
            async move { app.verify(&token, &wrong).await }
        })
        .await;

        assert_eq!(
            count(&counts, 400, "invalid-code"),
            5,
            "{mode:?}: {counts:?}"
        );
        assert_eq!(
            count(&counts, 403, "forbidden"),
            PARALLEL - 5,
            "{mode:?}: {counts:?}"
        );
        app.verify(&token, &app.current_code().await)
            .await
            .assert_error(403, "forbidden");
    }
}

/// 20 parallel confirms with the right code: one activation, one set of codes.
async fn parallel_confirms_activate_exactly_once(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let token = app
        .activate(&app.personal_token(), &app.user_data())
        .await
        .mfa_token();
    let code = app.current_code().await;

    let counts = in_parallel(&app, |app| {
        let (token, code) = (token.clone(), code.clone());
        async move { app.confirm(&token, &code).await }
    })
    .await;

    assert_eq!(count(&counts, 200, ""), 1, "{counts:?}");
    assert_eq!(count(&counts, 403, "forbidden"), PARALLEL - 1, "{counts:?}");
}

/// Two parallel recovers with one recovery code: exactly one 200.
async fn parallel_recovers_with_one_code_succeed_once(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let codes = app.activate_mfa().await;
    let body = app.recover_body(&codes[0]);

    let (first, second) = tokio::join!(app.recover(&body), app.recover(&body));

    let statuses = [first.status, second.status];
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{} / {}",
        first.text(),
        second.text()
    );
    assert!(statuses.contains(&400), "{statuses:?}");
    app.login(&app.login_body()).await.assert_status(200);
}

/// Many parallel recovers with one code: still exactly one 200.
async fn many_parallel_recovers_with_one_code_succeed_once(store: StoreKind) {
    let app =
        spawn_app(TestOptions::new(store).settings("limits:\n  failuresPerUserPerHour: 0")).await;
    let codes = app.activate_mfa().await;
    let body = app.recover_body(&codes[0]);

    let counts = in_parallel(&app, |app| {
        let body = body.clone();
        async move { app.recover(&body).await }
    })
    .await;

    assert_eq!(count(&counts, 200, ""), 1, "{counts:?}");
    let refused =
        count(&counts, 400, "invalid-parameters-format") + count(&counts, 400, "invalid-operation");
    assert_eq!(refused, PARALLEL - 1, "{counts:?}");
}

both_stores!(
    parallel_right_codes_log_in_exactly_once,
    parallel_wrong_codes_are_all_counted,
    parallel_confirms_activate_exactly_once,
    parallel_recovers_with_one_code_succeed_once,
    many_parallel_recovers_with_one_code_succeed_once,
);
