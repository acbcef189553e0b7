//! `POST /{username}/mfa/verify`: the code of a login session gives back the core's
//! login answer, once; the provider's answers are judged failing closed.

use mfa_tests::fake_core::login_body;
use mfa_tests::fake_provider::{PROVIDER_CODE, VERIFY_PATH};
use mfa_tests::{both_stores, spawn_app, Mode, StoreKind, TestOptions, ALICE, SSO_COOKIE};
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

/// The right code: the core's login answer, body and cookie, in every mode.
async fn verify_with_the_right_code_gives_the_core_login_answer(store: StoreKind) {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);

        let answer = app.verify(&token, &app.current_code().await).await;

        answer.assert_status(200);
        assert_eq!(answer.text(), login_body(ALICE), "{mode:?}");
        assert_eq!(answer.header_all("set-cookie"), vec![SSO_COOKIE.to_owned()]);
    }
}

/// A wrong code is `invalid-code` in every mode, and the session lives on.
async fn verify_with_a_wrong_code_is_invalid_code(store: StoreKind) {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);

        let answer = app.verify(&token, &app.wrong_code().await).await;

        assert_eq!(answer.status, 400, "{mode:?}: {}", answer.text());
        assert_eq!(
            answer.error_id().as_deref(),
            Some("invalid-code"),
            "{mode:?}"
        );
        app.verify(&token, &app.current_code().await)
            .await
            .assert_status(200);
    }
}

/// The session is spent by a success: a second verify is `forbidden`.
async fn verify_twice_is_forbidden_the_second_time(store: StoreKind) {
    for mode in [Mode::SingleGet, Mode::ChallengeVerify] {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);
        let code = app.current_code().await;
        app.verify(&token, &code).await.assert_status(200);

        let answer = app.verify(&token, &code).await;

        answer.assert_error(403, "forbidden");
        assert!(!answer.everything().contains("personal-core-token"));
    }
}

/// A session older than `sessions.ttlSeconds` (1800 s) is `forbidden`.
async fn verify_after_the_session_expired_is_forbidden(store: StoreKind) {
    for mode in [Mode::SingleGet, Mode::ChallengeVerify] {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        app.challenge(&token).await.assert_status(200);
        let code = app.current_code().await;

        app.clock().advance(1801);

        app.verify(&token, &code)
            .await
            .assert_error(403, "forbidden");
    }
}

/// challenge-verify: how each provider answer to a verify is judged.
async fn verify_judges_the_provider_answer(store: StoreKind) {
    let approved = || ResponseTemplate::new(200).set_body_json(json!({ "status": "approved" }));
    let pending = || ResponseTemplate::new(200).set_body_json(json!({ "status": "pending" }));
    let cases = [
        (
            Mode::ChallengeVerify,
            ResponseTemplate::new(204),
            200,
            None,
            "204 accepts",
        ),
        (
            Mode::ChallengeVerify,
            ResponseTemplate::new(404),
            400,
            Some("invalid-code"),
            "404",
        ),
        (
            Mode::ChallengeVerify,
            ResponseTemplate::new(500),
            400,
            Some("messaging-server-error"),
            "500",
        ),
        (
            Mode::ChallengeVerify,
            pending(),
            400,
            Some("invalid-code"),
            "pending, no rule",
        ),
        (
            Mode::ChallengeVerify,
            approved(),
            400,
            Some("invalid-code"),
            "a body, no rule",
        ),
        (
            Mode::ChallengeVerifyWithRule,
            pending(),
            400,
            Some("invalid-code"),
            "pending, rule",
        ),
        (
            Mode::ChallengeVerifyWithRule,
            approved(),
            200,
            None,
            "approved, rule",
        ),
        (
            Mode::ChallengeVerifyWithRule,
            ResponseTemplate::new(204),
            400,
            Some("invalid-code"),
            "empty, rule",
        ),
    ];

    for (mode, provider_answer, status, id, why) in cases {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;
        let token = app.mfa_login().await;
        Mock::given(path(VERIFY_PATH))
            .respond_with(provider_answer)
            .mount(app.provider())
            .await;

        let answer = app.verify(&token, PROVIDER_CODE).await;

        assert_eq!(answer.status, status, "{why}: {}", answer.text());
        assert_eq!(answer.error_id().as_deref(), id, "{why}");
    }
}

/// challenge-verify: a verify endpoint on a closed port is `messaging-server-error`.
async fn verify_reports_an_unreachable_provider(store: StoreKind) {
    let app = spawn_app(
        TestOptions::new(store)
            .mode(Mode::ChallengeVerify)
            .verify_unreachable(),
    )
    .await;
    let token = app
        .activate(&app.personal_token(), &app.user_data())
        .await
        .mfa_token();

    app.confirm(&token, PROVIDER_CODE)
        .await
        .assert_error(400, "messaging-server-error");
}

/// challenge-verify: the verify forwards the user's number and the code typed.
async fn verify_forwards_the_number_and_the_code(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store).mode(Mode::ChallengeVerify)).await;
    app.activate_mfa().await;
    let token = app.mfa_login().await;

    app.verify(&token, PROVIDER_CODE).await.assert_status(200);

    let verifies: Vec<_> = app
        .provider()
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == VERIFY_PATH)
        .collect();
    let number = app.user_data()["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let expected = format!(r#"{{"phone_number":"{number}","code":"{PROVIDER_CODE}"}}"#);
    assert_eq!(verifies.len(), 2, "confirm and verify");
    for verify in verifies {
        assert_eq!(String::from_utf8_lossy(&verify.body), expected);
    }
}

/// Without Authorization, verify is forbidden whatever the body: the token is
/// checked before the code.
async fn verify_without_authorization_is_forbidden_even_without_a_body(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let answer = app.post("/alice1/mfa/verify", &[], String::new()).await;

    answer.assert_error(403, "forbidden");
}

both_stores!(
    verify_without_authorization_is_forbidden_even_without_a_body,
    verify_with_the_right_code_gives_the_core_login_answer,
    verify_with_a_wrong_code_is_invalid_code,
    verify_twice_is_forbidden_the_second_time,
    verify_after_the_session_expired_is_forbidden,
    verify_judges_the_provider_answer,
    verify_reports_an_unreachable_provider,
    verify_forwards_the_number_and_the_code,
);
