//! Complete flows, in every mode: activate, confirm, login, challenge, verify,
//! recover, login, activate again, deactivate, login.

use std::collections::HashSet;

use mfa_tests::fake_core::{core_token, login_body};
use mfa_tests::{both_stores, spawn_app, Mode, StoreKind, TestApp, TestOptions, ALICE};

async fn complete_flow(app: &TestApp) {
    let mode = app.mode();

    let activation = app.activate(&app.personal_token(), &app.user_data()).await;
    activation.assert_status(302);
    let confirmed = app
        .confirm(&activation.mfa_token(), &app.current_code().await)
        .await;
    confirmed.assert_status(200);
    let recovery: Vec<String> =
        serde_json::from_value(confirmed.json()["recoveryCodes"].clone()).unwrap_or_default();
    assert_eq!(
        recovery.iter().collect::<HashSet<_>>().len(),
        10,
        "{mode:?}"
    );

    let login = app.login(&app.login_body()).await;
    login.assert_status(302);
    assert!(!login.everything().contains(&core_token(ALICE)), "{mode:?}");
    let token = login.mfa_token();
    app.challenge(&token).await.assert_status(200);
    let verified = app.verify(&token, &app.current_code().await).await;
    verified.assert_status(200);
    assert_eq!(
        verified.json()["token"],
        core_token(ALICE).as_str(),
        "{mode:?}"
    );

    app.recover(&app.recover_body(&recovery[0]))
        .await
        .assert_status(200);
    let plain = app.login(&app.login_body()).await;
    plain.assert_status(200);
    assert_eq!(plain.text(), login_body(ALICE), "{mode:?}");

    app.activate_mfa().await;
    app.login(&app.login_body()).await.assert_status(302);
    app.deactivate(&app.personal_token())
        .await
        .assert_status(200);
    let plain = app.login(&app.login_body()).await;
    plain.assert_status(200);
    assert_eq!(plain.text(), login_body(ALICE), "{mode:?}");
}

/// The whole life of MFA for a user, in every mode.
async fn the_complete_flow_passes_in_every_mode(store: StoreKind) {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;

        complete_flow(&app).await;
    }
}

/// With `mfaTokenStatus: 200`, as Pryv's JavaScript library expects.
async fn the_complete_flow_passes_with_mfa_token_status_200(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store).settings("mfaTokenStatus: 200")).await;

    app.activate_mfa().await;
    let token = app.mfa_login().await;
    app.challenge(&token).await.assert_status(200);
    app.verify(&token, &app.current_code().await)
        .await
        .assert_status(200);
}

both_stores!(
    the_complete_flow_passes_in_every_mode,
    the_complete_flow_passes_with_mfa_token_status_200,
);
