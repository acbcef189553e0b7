//! `POST /{username}/mfa/challenge`: a code for a pending session, in both modes; in
//! single mode only the latest code counts, and a code ends after its TTL.

use mfa_tests::fake_provider::CHALLENGE_PATH;
use mfa_tests::{both_stores, spawn_app, Mode, StoreKind, TestOptions};
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

/// A challenge answers `{"message"}` and sends one request, in every mode.
async fn challenge_sends_a_code(store: StoreKind) {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;

        let answer = app.challenge(&token).await;

        answer.assert_status(200);
        assert!(answer.json()["message"].is_string(), "{mode:?}");
        assert_eq!(app.sends().await.len(), 2, "{mode:?}");
    }
}

/// challenge-verify: a provider failing the challenge (500, closed port) is
/// `messaging-server-error`.
async fn challenge_reports_a_failing_provider(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store).mode(Mode::ChallengeVerify)).await;
    app.activate_mfa().await;
    let token = app.mfa_login().await;
    Mock::given(path(CHALLENGE_PATH))
        .respond_with(ResponseTemplate::new(500))
        .mount(app.provider())
        .await;

    let answer = app.challenge(&token).await;

    answer.assert_error(400, "messaging-server-error");
}

/// An unknown mfaToken, or none, is `forbidden` and sends nothing.
async fn challenge_without_a_live_session_is_forbidden(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    app.activate_mfa().await;

    app.challenge("unknown-mfa-token")
        .await
        .assert_error(403, "forbidden");
    app.post("/alice1/mfa/challenge", &[], "")
        .await
        .assert_error(403, "forbidden");

    assert_eq!(app.sends().await.len(), 1);
}

/// single mode: after a second challenge (send interval passed), the first code is
/// refused and the second one works.
async fn only_the_latest_code_of_a_session_is_valid(store: StoreKind) {
    for mode in [Mode::SingleGet, Mode::SinglePost] {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);
        let first = app.current_code().await;
        app.clock().advance(31);
        app.challenge(&token).await.assert_status(200);
        let second = app.current_code().await;
        if first == second {
            // One chance in a million: nothing to tell apart.
            continue;
        }

        app.verify(&token, &first)
            .await
            .assert_error(400, "invalid-code");
        app.verify(&token, &second).await.assert_status(200);
    }
}

/// single mode: a code older than its TTL (300 s) is `invalid-code`, though the
/// session still lives.
async fn an_expired_code_is_invalid(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    app.activate_mfa().await;
    let token = app.mfa_login().await;
    app.challenge(&token).await.assert_status(200);
    let code = app.current_code().await;

    app.clock().advance(301);

    app.verify(&token, &code)
        .await
        .assert_error(400, "invalid-code");
    app.challenge(&token).await.assert_status(200);
    app.verify(&token, &app.current_code().await)
        .await
        .assert_status(200);
}

/// The activation code expires too: confirm after the TTL is `invalid-code`.
async fn an_expired_activation_code_is_invalid(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let token = app
        .activate(&app.personal_token(), &app.user_data())
        .await
        .mfa_token();
    let code = app.current_code().await;

    app.clock().advance(301);

    app.confirm(&token, &code)
        .await
        .assert_error(400, "invalid-code");
}

both_stores!(
    challenge_sends_a_code,
    challenge_reports_a_failing_provider,
    challenge_without_a_live_session_is_forbidden,
    only_the_latest_code_of_a_session_is_valid,
    an_expired_code_is_invalid,
    an_expired_activation_code_is_invalid,
);
