//! `POST /{username}/mfa/recover`: the password and a recovery code turn MFA off.

use mfa_tests::fake_core::refusal_body;
use mfa_tests::{both_stores, spawn_app, StoreKind, TestOptions, BOB};
use serde_json::json;

/// A wrong password: the core's refusal, forwarded; MFA stays on.
async fn recover_with_a_wrong_password_forwards_the_core_refusal(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let codes = app.activate_mfa().await;
    let mut body = app.recover_body(&codes[0]);
    body["password"] = json!("wrong-password");

    let answer = app.recover(&body).await;

    answer.assert_status(401);
    assert_eq!(answer.json(), refusal_body());
    app.login(&app.login_body()).await.assert_status(302);
}

/// The password goes to the core without the recovery code.
async fn recover_checks_the_password_without_the_recovery_code(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let codes = app.activate_mfa().await;

    app.recover(&app.recover_body(&codes[0]))
        .await
        .assert_status(200);

    let logins: Vec<_> = app
        .core()
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == "/alice1/auth/login")
        .collect();
    assert_eq!(logins.len(), 1);
    let sent: serde_json::Value = logins[0].body_json().unwrap_or_default();
    assert_eq!(sent, app.login_body());
}

/// The password check is a core login: Origin and Referer go through as for login.
async fn recover_forwards_origin_and_referer_to_the_core(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let codes = app.activate_mfa().await;
    let origin = "https://sw.pryv.me";
    let referer = "https://sw.pryv.me/access/";

    let answer = app
        .post(
            "/alice1/mfa/recover",
            &[("origin", origin), ("referer", referer)],
            app.recover_body(&codes[0]).to_string(),
        )
        .await;

    answer.assert_status(200);
    let logins = app.core().received_requests().await.unwrap_or_default();
    let login = logins
        .iter()
        .find(|r| r.url.path() == "/alice1/auth/login")
        .unwrap_or_else(|| panic!("no core login"));
    let header = |name| login.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("origin"), Some(origin));
    assert_eq!(header("referer"), Some(referer));
}

/// Wrong recovery codes count as failures: after 10 in an hour, even a right one
/// gets 429.
async fn wrong_recovery_codes_count_towards_the_backoff(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let codes = app.activate_mfa().await;
    for guess in 0..10 {
        let wrong = format!("00000000-0000-4000-8000-0000000000{guess:02}");
        app.recover(&app.recover_body(&wrong))
            .await
            .assert_error(400, "invalid-parameters-format");
    }

    let answer = app.recover(&app.recover_body(&codes[0])).await;

    answer.assert_error(429, "too-many-requests");
    assert!(answer.header("retry-after").is_some());
    app.login(&app.login_body()).await.assert_status(302);
}

/// An unknown recovery code: `invalid-parameters-format`; MFA stays on.
async fn recover_with_an_unknown_code_is_refused(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    app.activate_mfa().await;

    let answer = app
        .recover(&app.recover_body("00000000-0000-4000-8000-000000000000"))
        .await;

    answer.assert_error(400, "invalid-parameters-format");
    app.login(&app.login_body()).await.assert_status(302);
}

/// MFA not active: `invalid-operation`.
async fn recover_without_mfa_is_an_invalid_operation(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let answer = app
        .recover(&app.recover_body("00000000-0000-4000-8000-000000000000"))
        .await;

    answer.assert_error(400, "invalid-operation");
}

/// Success turns MFA off; the code is spent, also after a new activation.
async fn recover_turns_mfa_off_and_spends_the_code(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let codes = app.activate_mfa().await;

    let answer = app.recover(&app.recover_body(&codes[3])).await;

    answer.assert_status(200);
    assert!(answer.json()["message"].is_string());
    app.login(&app.login_body()).await.assert_status(200);
    app.recover(&app.recover_body(&codes[3]))
        .await
        .assert_error(400, "invalid-operation");
    app.clock().advance(31);
    app.activate_mfa().await;
    app.recover(&app.recover_body(&codes[3]))
        .await
        .assert_error(400, "invalid-parameters-format");
    app.recover(&app.recover_body(&codes[4]))
        .await
        .assert_error(400, "invalid-parameters-format");
}

/// A body username other than the path's: `invalid-parameters-format`.
async fn recover_refuses_a_body_username_other_than_the_path(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let codes = app.activate_mfa().await;
    let mut body = app.recover_body(&codes[0]);
    body["username"] = json!(BOB);

    let answer = app.recover(&body).await;

    answer.assert_error(400, "invalid-parameters-format");
    app.login(&app.login_body()).await.assert_status(302);
}

/// A missing recoveryCode: `invalid-request-structure`, the core not called.
async fn recover_without_a_recovery_code_is_a_structure_error(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let answer = app.recover(&app.login_body()).await;

    answer.assert_error(400, "invalid-request-structure");
    let calls = app.core().received_requests().await.unwrap_or_default();
    assert!(calls.is_empty());
}

/// A missing or non-string password is refused here, the core not called.
async fn recover_without_a_string_password_is_refused(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let mut missing = app.recover_body("some-code");
    missing.as_object_mut().map(|o| o.remove("password"));
    let mut number = app.recover_body("some-code");
    number["password"] = 1.into();

    app.recover(&missing)
        .await
        .assert_error(400, "invalid-request-structure");
    app.recover(&number)
        .await
        .assert_error(400, "invalid-parameters-format");
    let calls = app.core().received_requests().await.unwrap_or_default();
    assert!(calls.is_empty());
}

both_stores!(
    recover_without_a_string_password_is_refused,
    recover_with_a_wrong_password_forwards_the_core_refusal,
    recover_checks_the_password_without_the_recovery_code,
    recover_forwards_origin_and_referer_to_the_core,
    wrong_recovery_codes_count_towards_the_backoff,
    recover_with_an_unknown_code_is_refused,
    recover_without_mfa_is_an_invalid_operation,
    recover_turns_mfa_off_and_spends_the_code,
    recover_refuses_a_body_username_other_than_the_path,
    recover_without_a_recovery_code_is_a_structure_error,
);
