//! Limits and binding, with the defaults of DESIGN.md section 7: attempts per
//! session, failures per user, send interval, sends per user and destination, the
//! destination allow-list, mfaTokens bound to their user, and no secret echoed.

use mfa_tests::fake_core::core_token;
use mfa_tests::{both_stores, spawn_app, Answer, Mode, StoreKind, TestOptions, ALICE, BOB};
use serde_json::json;

#[track_caller]
fn assert_too_many(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 429, "{what}: {}", answer.text());
    assert_eq!(
        answer.error_id().as_deref(),
        Some("too-many-requests"),
        "{what}"
    );
    let retry_after: u64 = answer
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no Retry-After in seconds"));
    assert!((1..=86_400).contains(&retry_after), "{what}: {retry_after}");
}

/// After 5 wrong codes the session is dead: the right code is refused too.
async fn the_sixth_code_of_a_session_is_refused_even_when_right(store: StoreKind) {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);
        let wrong = app.wrong_code().await;
        for attempt in 1..=5 {
            let answer = app.verify(&token, &wrong).await;
            assert_eq!(answer.status, 400, "{mode:?} attempt {attempt}");
        }

        let answer = app.verify(&token, &app.current_code().await).await;

        assert_eq!(answer.status, 403, "{mode:?}: {}", answer.text());
        assert_eq!(answer.error_id().as_deref(), Some("forbidden"), "{mode:?}");
    }
}

/// After 10 failed codes in an hour, even the right code on a new session gets 429
/// with Retry-After; an hour later it works.
async fn ten_failures_of_a_user_in_an_hour_back_off(store: StoreKind) {
    for mode in [Mode::SingleGet, Mode::ChallengeVerify] {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        for _session in 0..2 {
            let token = app.mfa_login().await;
            app.challenge(&token).await.assert_status(200);
            let wrong = app.wrong_code().await;
            for _attempt in 0..5 {
                app.verify(&token, &wrong)
                    .await
                    .assert_error(400, "invalid-code");
            }
        }
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);

        let answer = app.verify(&token, &app.current_code().await).await;

        assert_too_many(&answer, &format!("{mode:?}"));
        app.clock().advance(3600);
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);
        app.verify(&token, &app.current_code().await)
            .await
            .assert_status(200);
    }
}

/// A second challenge within 30 s is 429 with Retry-After, and sends nothing.
async fn a_second_challenge_within_the_interval_is_refused(store: StoreKind) {
    for mode in [Mode::SingleGet, Mode::ChallengeVerify] {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);
        let sent = app.sends().await.len();
        app.clock().advance(29);

        let answer = app.challenge(&token).await;

        assert_too_many(&answer, &format!("{mode:?}"));
        assert_eq!(app.sends().await.len(), sent, "{mode:?}");
        app.clock().advance(2);
        app.challenge(&token).await.assert_status(200);
    }
}

/// Bob cannot challenge or verify with Alice's mfaToken, and his tries do not use up
/// her session.
async fn an_mfa_token_is_bound_to_its_user(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let bob = app.as_user(BOB);
    app.activate_mfa().await;
    bob.activate_mfa().await;
    let token = app.mfa_login().await;
    app.challenge(&token).await.assert_status(200);
    let code = app.current_code().await;

    bob.challenge(&token).await.assert_error(403, "forbidden");
    for _ in 0..6 {
        bob.verify(&token, &code)
            .await
            .assert_error(403, "forbidden");
    }

    let answer = app.verify(&token, &code).await;
    answer.assert_status(200);
    assert_eq!(answer.json()["token"], core_token(ALICE).as_str());
}

/// 5 sends per user per hour: the sixth, on a fresh session, is 429 and not sent.
async fn the_sixth_send_of_a_user_in_an_hour_is_refused(store: StoreKind) {
    for mode in [Mode::SingleGet, Mode::ChallengeVerify] {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        for _ in 0..4 {
            let token = app.mfa_login().await;
            app.challenge(&token).await.assert_status(200);
        }
        assert_eq!(app.sends().await.len(), 5, "{mode:?}");
        let token = app.mfa_login().await;

        let answer = app.challenge(&token).await;

        assert_too_many(&answer, &format!("{mode:?}"));
        assert_eq!(app.sends().await.len(), 5, "{mode:?}");
    }
}

/// A send refused by a limit leaves the session's code as it was: the code the user
/// already received still works.
async fn a_refused_send_keeps_the_code_already_sent(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    app.activate_mfa().await;
    let token = app.mfa_login().await;
    app.challenge(&token).await.assert_status(200);
    let code = app.current_code().await;
    for _ in 0..3 {
        let other = app.mfa_login().await;
        app.challenge(&other).await.assert_status(200);
    }
    app.clock().advance(31);
    assert_too_many(&app.challenge(&token).await, "sixth send");

    let answer = app.verify(&token, &code).await;

    answer.assert_status(200);
}

/// 10 sends per destination per day, whichever user asks.
async fn the_eleventh_send_to_a_destination_in_a_day_is_refused(store: StoreKind) {
    let app = spawn_app(
        TestOptions::new(store)
            .mode(Mode::ChallengeVerify)
            .settings("limits:\n  sendsPerUserPerHour: 0\n  sendIntervalSeconds: 0"),
    )
    .await;
    app.activate_mfa().await;
    let token = app.mfa_login().await;
    for _ in 0..9 {
        app.challenge(&token).await.assert_status(200);
    }

    let answer = app.challenge(&token).await;

    assert_too_many(&answer, "11th send");
    assert_eq!(app.sends().await.len(), 10);
}

/// `destinationPrefixes: ['+41']` refuses `+33...` at activation, before any send.
async fn a_destination_outside_the_allow_list_is_refused(store: StoreKind) {
    let app = spawn_app(
        TestOptions::new(store)
            .mode(Mode::SinglePost)
            .settings("limits:\n  destinationPrefixes: ['+41']"),
    )
    .await;

    let answer = app
        .activate(&app.personal_token(), &json!({ "phone": "+33612345678" }))
        .await;

    answer.assert_error(400, "invalid-parameters-format");
    assert!(!answer.text().contains("612345678"));
    let sends = app.provider().received_requests().await.unwrap_or_default();
    assert!(sends.is_empty());
    app.activate_mfa().await;
}

/// No error answer echoes a code, an mfaToken, a recovery code or the core's token.
async fn no_error_answer_echoes_a_secret(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let bob = app.as_user(BOB);
    let recovery = app.activate_mfa().await;
    let token = app.mfa_login().await;
    app.challenge(&token).await.assert_status(200);
    let code = app.current_code().await;
    let wrong = app.wrong_code().await;
    let unknown_recovery = "11111111-2222-4333-8444-555555555555";
    let mut wrong_password = app.recover_body(&recovery[1]);
    wrong_password["password"] = json!("wrong-password");

    let answers = [
        app.verify(&token, &wrong).await,
        app.challenge(&token).await,
        bob.verify(&token, &code).await,
        bob.challenge(&token).await,
        app.confirm(&token, &code).await,
        app.recover(&app.recover_body(unknown_recovery)).await,
        app.recover(&wrong_password).await,
        app.verify("not-a-live-token-7f3a9c", &code).await,
        app.activate(&token, &app.user_data()).await,
    ];

    let secrets = [
        token.as_str(),
        code.as_str(),
        wrong.as_str(),
        unknown_recovery,
        recovery[1].as_str(),
        "not-a-live-token-7f3a9c",
        &core_token(ALICE),
        "test-api-key",
    ];
    for (index, answer) in answers.iter().enumerate() {
        assert!(answer.status >= 400, "case {index}: {}", answer.text());
        let everything = answer.everything();
        for secret in secrets {
            assert!(
                !everything.contains(secret),
                "case {index} echoes a secret: {everything}"
            );
        }
    }
}

both_stores!(
    the_sixth_code_of_a_session_is_refused_even_when_right,
    ten_failures_of_a_user_in_an_hour_back_off,
    a_second_challenge_within_the_interval_is_refused,
    an_mfa_token_is_bound_to_its_user,
    the_sixth_send_of_a_user_in_an_hour_is_refused,
    a_refused_send_keeps_the_code_already_sent,
    the_eleventh_send_to_a_destination_in_a_day_is_refused,
    a_destination_outside_the_allow_list_is_refused,
    no_error_answer_echoes_a_secret,
);
