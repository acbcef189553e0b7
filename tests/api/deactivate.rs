//! `POST /{username}/mfa/deactivate`: a personal token turns MFA off.

use mfa_tests::fake_core::{self, login_body, token_refusal_body};
use mfa_tests::{both_stores, spawn_app, Mode, StoreKind, TestOptions, ALICE};

/// A personal token turns MFA off: the next login is plain again.
async fn deactivate_with_a_personal_token_turns_mfa_off(store: StoreKind) {
    for mode in [Mode::SingleGet, Mode::ChallengeVerify] {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;

        let answer = app.deactivate(&app.personal_token()).await;

        answer.assert_status(200);
        assert!(answer.json()["message"].is_string());
        let login = app.login(&app.login_body()).await;
        login.assert_status(200);
        assert_eq!(login.text(), login_body(ALICE), "{mode:?}");
    }
}

/// A token the core refuses: its refusal forwarded, MFA still on.
async fn deactivate_forwards_the_core_refusal(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    app.activate_mfa().await;
    app.core_answers_access_info(fake_core::access_refusal())
        .await;

    let answer = app.deactivate(&app.personal_token()).await;

    answer.assert_status(403);
    assert_eq!(answer.json(), token_refusal_body());
    app.login(&app.login_body()).await.assert_status(302);
}

/// No Authorization, or an app token: `forbidden`, MFA still on.
async fn deactivate_without_a_personal_token_is_forbidden(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    app.activate_mfa().await;

    app.post("/alice1/mfa/deactivate", &[], "")
        .await
        .assert_error(403, "forbidden");
    app.deactivate("app-token-1")
        .await
        .assert_error(403, "forbidden");
    app.core_answers_access_info(fake_core::access_info("shared"))
        .await;
    app.deactivate(&app.personal_token())
        .await
        .assert_error(403, "forbidden");

    app.login(&app.login_body()).await.assert_status(302);
}

both_stores!(
    deactivate_with_a_personal_token_turns_mfa_off,
    deactivate_forwards_the_core_refusal,
    deactivate_without_a_personal_token_is_forbidden,
);
