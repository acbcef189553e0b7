//! `POST /{username}/mfa/confirm`: the first code turns MFA on and gives the
//! recovery codes; the mfaToken must be the user's own activation token.

use std::collections::HashSet;

use mfa_tests::{both_stores, spawn_app, Mode, StoreKind, TestOptions, BOB};
use serde_json::json;

/// A wrong code is `invalid-code`, in every mode, and MFA stays off.
async fn confirm_with_a_wrong_code_is_invalid_code(store: StoreKind) {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        let activation = app.activate(&app.personal_token(), &app.user_data()).await;

        let answer = app
            .confirm(&activation.mfa_token(), &app.wrong_code().await)
            .await;

        assert_eq!(answer.status, 400, "{mode:?}: {}", answer.text());
        assert_eq!(
            answer.error_id().as_deref(),
            Some("invalid-code"),
            "{mode:?}"
        );
        app.login(&app.login_body()).await.assert_status(200);
    }
}

/// The right code: 200 with 10 distinct recovery codes, in every mode; MFA is on.
async fn confirm_with_the_right_code_gives_ten_distinct_recovery_codes(store: StoreKind) {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        let activation = app.activate(&app.personal_token(), &app.user_data()).await;

        let answer = app
            .confirm(&activation.mfa_token(), &app.current_code().await)
            .await;

        answer.assert_status(200);
        let codes = answer.json()["recoveryCodes"].clone();
        let codes: HashSet<&str> = codes
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(codes.len(), 10, "{mode:?}: {}", answer.text());
        app.login(&app.login_body()).await.assert_status(302);
    }
}

/// A code must be a JSON string of ASCII digits: anything else is refused before
/// it is checked (and does not use up an attempt).
async fn confirm_refuses_codes_that_are_not_digit_strings(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let token = app
        .activate(&app.personal_token(), &app.user_data())
        .await
        .mfa_token();
    let code = app.current_code().await;
    let number: u64 = code.parse().unwrap_or_default();
    let full_width: String = code
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c))
        .collect();
    let cases = [
        (
            json!({ "code": number }),
            "a number",
            "invalid-parameters-format",
        ),
        (
            json!({ "code": full_width }),
            "full-width digits",
            "invalid-parameters-format",
        ),
        (json!({ "code": "" }), "blank", "invalid-parameters-format"),
        (
            json!({ "code": format!(" {code}") }),
            "a space",
            "invalid-parameters-format",
        ),
        (json!({}), "missing", "invalid-request-structure"),
    ];

    for (body, why, id) in cases {
        let answer = app
            .post(
                "/alice1/mfa/confirm",
                &[("authorization", &token)],
                body.to_string(),
            )
            .await;

        assert_eq!(answer.status, 400, "{why}: {}", answer.text());
        assert_eq!(answer.error_id().as_deref(), Some(id), "{why}");
    }
    app.confirm(&token, &code).await.assert_status(200);
}

/// Another user's, an unknown or a spent mfaToken is `forbidden`.
async fn confirm_refuses_foreign_unknown_and_spent_tokens(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let token = app
        .activate(&app.personal_token(), &app.user_data())
        .await
        .mfa_token();
    let code = app.current_code().await;
    let bob = app.as_user(BOB);

    bob.confirm(&token, &code)
        .await
        .assert_error(403, "forbidden");
    app.confirm("unknown-mfa-token", &code)
        .await
        .assert_error(403, "forbidden");
    app.confirm(&token, &code).await.assert_status(200);
    app.confirm(&token, &code)
        .await
        .assert_error(403, "forbidden");
}

/// A login mfaToken cannot confirm; an activation mfaToken cannot verify.
async fn session_purposes_are_not_interchangeable(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    app.activate_mfa().await;
    let login_token = app.mfa_login().await;
    app.challenge(&login_token).await.assert_status(200);
    let login_code = app.current_code().await;
    let other = app.as_user(BOB);
    let activation = other
        .activate(&other.personal_token(), &other.user_data())
        .await;
    let activation_token = activation.mfa_token();
    let activation_code = other.current_code().await;

    app.confirm(&login_token, &login_code)
        .await
        .assert_error(403, "forbidden");
    other
        .verify(&activation_token, &activation_code)
        .await
        .assert_error(403, "forbidden");

    app.verify(&login_token, &login_code)
        .await
        .assert_status(200);
    other
        .confirm(&activation_token, &activation_code)
        .await
        .assert_status(200);
}

both_stores!(
    confirm_with_a_wrong_code_is_invalid_code,
    confirm_with_the_right_code_gives_ten_distinct_recovery_codes,
    confirm_refuses_codes_that_are_not_digit_strings,
    confirm_refuses_foreign_unknown_and_spent_tokens,
    session_purposes_are_not_interchangeable,
);
