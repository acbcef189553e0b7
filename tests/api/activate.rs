//! `POST /{username}/mfa/activate`: the personal token, the user's MFA data, and the
//! first send.

use mfa_tests::fake_core::token_refusal_body;
use mfa_tests::fake_provider::{
    CHALLENGE_PATH, MESSAGES_PATH, SMSMODE_MESSAGE_PREFIX, SMSMODE_PATH,
};
use mfa_tests::{both_stores, spawn_app, Mode, StoreKind, TestOptions};
use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

/// Without any Authorization, activation is `forbidden` and nothing is sent.
async fn activate_without_authorization_is_forbidden(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let answer = app
        .post("/alice1/mfa/activate", &[], app.user_data().to_string())
        .await;

    answer.assert_error(403, "forbidden");
    assert!(app.sends().await.is_empty());
}

/// The token is read as `Bearer`, Basic (token as user name) and the `auth` query
/// parameter, each checked with the core.
async fn activate_accepts_bearer_basic_and_query_tokens(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let token = app.personal_token();
    let url = format!("{}/alice1/mfa/activate", app.address());
    let requests = [
        ("Bearer", app.http().post(&url).bearer_auth(&token)),
        (
            "Basic",
            app.http().post(&url).basic_auth(&token, None::<&str>),
        ),
        ("auth query", app.http().post(format!("{url}?auth={token}"))),
    ];

    for (form, request) in requests {
        let answer = request
            .json(&app.user_data())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{form}: {e}"));

        assert_eq!(answer.status().as_u16(), 302, "{form}");
    }
    let checks = app.core().received_requests().await.unwrap_or_default();
    assert_eq!(checks.len(), 3);
    for check in checks {
        assert_eq!(check.url.path(), "/alice1/access-info");
        assert_eq!(
            check.headers.get("authorization").map(|v| v.as_bytes()),
            Some(token.as_bytes())
        );
    }
}

/// A token the core refuses: the core's refusal, forwarded.
async fn activate_forwards_the_core_refusal_of_the_token(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let answer = app.activate("unknown-token", &app.user_data()).await;

    answer.assert_status(403);
    assert_eq!(answer.json(), token_refusal_body());
    assert!(app.sends().await.is_empty());
}

/// The token is checked before the data: a stranger's invalid data gets the core's
/// refusal, never the names of the templates' variables.
async fn activate_checks_the_token_before_the_data(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let answer = app.activate("unknown-token", &serde_json::json!({})).await;

    answer.assert_status(403);
    assert_eq!(answer.json(), token_refusal_body());
}

/// An app token is not enough to change the second factor.
async fn activate_with_an_app_token_is_forbidden(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let answer = app.activate("app-token-1", &app.user_data()).await;

    answer.assert_error(403, "forbidden");
    assert!(app.sends().await.is_empty());
}

/// User data must be an object of at most 20 string values and 4 KiB.
async fn activate_refuses_invalid_user_data(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store).mode(Mode::ChallengeVerify)).await;
    let many: serde_json::Map<String, Value> = (0..21)
        .map(|i| (format!("key{i}"), json!("value")))
        .chain([("number".to_owned(), json!("41791231212"))])
        .collect();
    let cases = [
        (json!(["41791231212"]), "an array"),
        (json!("41791231212"), "a string"),
        (json!({ "number": 41_791_231_212_u64 }), "a number value"),
        (
            json!({ "number": "41791231212", "lang": null }),
            "a null value",
        ),
        (
            json!({ "number": "41791231212", "x": { "y": "z" } }),
            "an object value",
        ),
        (Value::Object(many), "22 keys"),
        (
            json!({ "number": "41791231212", "note": "x".repeat(4100) }),
            "over 4 KiB",
        ),
    ];

    for (data, why) in cases {
        let answer = app.activate(&app.personal_token(), &data).await;

        assert_eq!(answer.status, 400, "{why}: {}", answer.text());
        assert_eq!(
            answer.error_id().as_deref(),
            Some("invalid-parameters-format"),
            "{why}"
        );
    }
    let sends = app.provider().received_requests().await.unwrap_or_default();
    assert!(sends.is_empty(), "{} sends", sends.len());
}

/// A body that is not JSON is `invalid-request-structure`.
async fn activate_refuses_malformed_json(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let token = app.personal_token();

    let answer = app
        .post(
            "/alice1/mfa/activate",
            &[
                ("authorization", &token),
                ("content-type", "application/json"),
            ],
            r#"{"number": "41791231212""#,
        )
        .await;

    answer.assert_error(400, "invalid-request-structure");
}

/// A body over 16 KiB is refused before it is read further.
async fn activate_refuses_an_oversized_body(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let token = app.personal_token();
    let body = json!({ "number": "41791231212", "note": "x".repeat(17 * 1024) });

    let answer = app
        .post(
            "/alice1/mfa/activate",
            &[("authorization", &token)],
            body.to_string(),
        )
        .await;

    answer.assert_error(400, "invalid-request-structure");
    let calls = app.core().received_requests().await.unwrap_or_default();
    assert!(calls.is_empty());
}

/// A template variable the data lacks is named, and nothing is sent.
async fn activate_names_a_missing_template_variable(store: StoreKind) {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        let mut data = app.user_data();
        let missing = if mode == Mode::SinglePost {
            "phone"
        } else {
            "number"
        };
        data.as_object_mut().map(|o| o.remove(missing));

        let answer = app.activate(&app.personal_token(), &data).await;

        answer.assert_error(400, "invalid-parameters-format");
        let message = answer.json()["error"]["message"].to_string();
        assert!(message.contains(missing), "{mode:?}: {message}");
        let sends = app.provider().received_requests().await.unwrap_or_default();
        assert!(sends.is_empty(), "{mode:?}");
    }
}

/// In single mode, data whose send would not carry the code is refused.
async fn activate_refuses_single_mode_data_without_the_code(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let data = json!({ "number": "41791231212", "message": "Hello" });

    let answer = app.activate(&app.personal_token(), &data).await;

    answer.assert_error(400, "invalid-parameters-format");
    assert!(app.sends().await.is_empty());
}

/// MFA already active: `invalid-operation`, nothing sent.
async fn activate_when_already_active_is_an_invalid_operation(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    app.activate_mfa().await;

    let answer = app.activate(&app.personal_token(), &app.user_data()).await;

    answer.assert_error(400, "invalid-operation");
    assert_eq!(app.sends().await.len(), 1);
}

/// A provider that is down or fails: `messaging-server-error`, in every mode.
async fn activate_reports_a_failing_provider(store: StoreKind) {
    for mode in Mode::ALL {
        let down = spawn_app(TestOptions::new(store).mode(mode).provider_unreachable()).await;
        let failing = spawn_app(TestOptions::new(store).mode(mode)).await;
        Mock::given(path(mfa_tests::fake_provider::send_path(mode)))
            .respond_with(ResponseTemplate::new(500))
            .mount(failing.provider())
            .await;

        for (app, why) in [(&down, "unreachable"), (&failing, "500")] {
            let answer = app.activate(&app.personal_token(), &app.user_data()).await;

            assert_eq!(answer.status, 400, "{mode:?} {why}: {}", answer.text());
            assert_eq!(
                answer.error_id().as_deref(),
                Some("messaging-server-error"),
                "{mode:?} {why}"
            );
        }
    }
}

/// smsmode: a GET whose message keeps the client's escapes, with the code in it.
async fn activate_sends_the_smsmode_request(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let answer = app.activate(&app.personal_token(), &app.user_data()).await;

    answer.assert_status(302);
    answer.mfa_token();
    let sends = app.sends().await;
    assert_eq!(sends.len(), 1);
    let send = &sends[0];
    assert_eq!(send.method.as_str(), "GET");
    assert_eq!(send.url.path(), SMSMODE_PATH);
    let code = app.current_code().await;
    assert_eq!(code.len(), 6);
    let number = app.user_data()["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let expected = format!(
        "accessToken=test-api-key&message={SMSMODE_MESSAGE_PREFIX}{code}\
         &emetteur=Pryv%20Lab&numero={number}"
    );
    assert_eq!(send.url.query(), Some(expected.as_str()));
}

/// A JSON POST: the body as the template says, the headers as configured.
async fn activate_sends_the_json_request(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store).mode(Mode::SinglePost)).await;

    let answer = app.activate(&app.personal_token(), &app.user_data()).await;

    answer.assert_status(302);
    let sends = app.sends().await;
    assert_eq!(sends.len(), 1);
    let send = &sends[0];
    assert_eq!(send.url.path(), MESSAGES_PATH);
    let body: Value = send.body_json().unwrap_or(Value::Null);
    let code = app.current_code().await;
    assert_eq!(
        body,
        json!({
            "destination": app.user_data()["phone"],
            "message": format!("Your Pryv code is {code}"),
        })
    );
    let header = |name| send.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("authorization"), Some("Bearer test-api-key"));
    assert_eq!(header("content-type"), Some("application/json"));
}

/// challenge-verify: SMSAPI's challenge, with the number and nothing else.
async fn activate_sends_the_challenge_request(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store).mode(Mode::ChallengeVerify)).await;

    let answer = app.activate(&app.personal_token(), &app.user_data()).await;

    answer.assert_status(302);
    let sends = app.sends().await;
    assert_eq!(sends.len(), 1);
    let send = &sends[0];
    assert_eq!(send.method.as_str(), "POST");
    assert_eq!(send.url.path(), CHALLENGE_PATH);
    let number = app.user_data()["number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        String::from_utf8_lossy(&send.body),
        format!(r#"{{"phone_number":"{number}"}}"#)
    );
    let header = |name| send.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("authorization"), Some("Bearer: test-api-key"));
    assert_eq!(header("content-type"), Some("application/json"));
}

/// A user value cannot add a query parameter to the provider's URL.
async fn a_user_value_cannot_change_the_provider_request(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let data = json!({
        "number": "41791231212&accessToken=attacker",
        "message": "Code%3A%20{{ code }}",
    });

    app.activate(&app.personal_token(), &data)
        .await
        .assert_status(302);

    let sends = app.provider().received_requests().await.unwrap_or_default();
    assert_eq!(sends.len(), 1);
    let tokens: Vec<_> = sends[0]
        .url
        .query_pairs()
        .filter(|(k, _)| k == "accessToken")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(tokens, vec!["test-api-key".to_owned()]);
}

both_stores!(
    activate_checks_the_token_before_the_data,
    activate_without_authorization_is_forbidden,
    activate_accepts_bearer_basic_and_query_tokens,
    activate_forwards_the_core_refusal_of_the_token,
    activate_with_an_app_token_is_forbidden,
    activate_refuses_invalid_user_data,
    activate_refuses_malformed_json,
    activate_refuses_an_oversized_body,
    activate_names_a_missing_template_variable,
    activate_refuses_single_mode_data_without_the_code,
    activate_when_already_active_is_an_invalid_operation,
    activate_reports_a_failing_provider,
    activate_sends_the_smsmode_request,
    activate_sends_the_json_request,
    activate_sends_the_challenge_request,
    a_user_value_cannot_change_the_provider_request,
);
