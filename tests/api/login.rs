//! `POST /{username}/auth/login`: the core's answer with MFA off, an mfaToken alone
//! with MFA on, and the core's refusals and absence.

use mfa_tests::fake_core::{core_token, login_body, refusal_body, LOGIN_PATH};
use mfa_tests::{both_stores, spawn_app, Mode, StoreKind, TestOptions, ALICE, SSO_COOKIE};
use wiremock::matchers::{header, method, path_regex};
use wiremock::{Mock, ResponseTemplate};

/// MFA off: the core's body byte for byte, its status, content type and cookie.
async fn login_without_mfa_answers_the_core_body_and_cookie(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let answer = app.login(&app.login_body()).await;

    answer.assert_status(200);
    assert_eq!(answer.text(), login_body(ALICE));
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header_all("set-cookie"), vec![SSO_COOKIE.to_owned()]);
}

/// The core refuses logins from untrusted apps: Origin and Referer go through. The
/// core answers the way this test can recognise only when both headers match.
async fn login_forwards_origin_and_referer_to_the_core(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let origin = "https://sw.pryv.me";
    let referer = "https://sw.pryv.me/access/access.html";
    let trusted = r#"{"token":"personal-trusted-app","apiEndpoint":"https://x.pryv.me/"}"#;
    // Known limit: wiremock 0.6's MockGuard reads a scoped mock by its index, which
    // its priority sort shuffles, so the match is shown by the answer instead.
    Mock::given(method("POST"))
        .and(path_regex(LOGIN_PATH))
        .and(header("origin", origin))
        .and(header("referer", referer))
        .respond_with(ResponseTemplate::new(200).set_body_raw(trusted, "application/json"))
        .mount(app.core())
        .await;

    let body = app.login_body().to_string();
    let answer = app
        .post(
            "/alice1/auth/login",
            &[
                ("origin", origin),
                ("referer", referer),
                ("content-type", "application/json"),
            ],
            body,
        )
        .await;

    answer.assert_status(200);
    assert_eq!(answer.text(), trusted);
}

/// A refusal comes back as the core gave it: status and body, `meta` included.
async fn login_forwards_the_core_refusal(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let mut body = app.login_body();
    body["password"] = "wrong-password".into();

    let answer = app.login(&body).await;

    answer.assert_status(401);
    assert_eq!(answer.json(), refusal_body());
}

/// A core that cannot be reached is `api-unavailable`.
async fn login_answers_503_when_the_core_is_unreachable(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store).core_unreachable()).await;

    let answer = app.login(&app.login_body()).await;

    answer.assert_error(503, "api-unavailable");
}

/// MFA on: 302 `{"mfaToken"}` alone; the core's token appears nowhere, nor its cookie.
async fn login_with_mfa_active_answers_only_an_mfa_token(store: StoreKind) {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(store).mode(mode)).await;
        app.activate_mfa().await;

        let answer = app.login(&app.login_body()).await;

        answer.assert_status(302);
        answer.mfa_token();
        let everything = answer.everything();
        assert!(
            !everything.contains(&core_token(ALICE)),
            "{mode:?}: {everything}"
        );
        assert!(answer.header("set-cookie").is_none(), "{mode:?}");
    }
}

/// `mfaTokenStatus: 200` announces the mfaToken with 200, on login and activate.
async fn mfa_token_status_200_announces_the_mfa_token_with_200(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store).settings("mfaTokenStatus: 200")).await;
    let activation = app.activate(&app.personal_token(), &app.user_data()).await;
    activation.assert_status(200);
    let code = app.current_code().await;
    app.confirm(&activation.mfa_token(), &code)
        .await
        .assert_status(200);

    let answer = app.login(&app.login_body()).await;

    answer.assert_status(200);
    answer.mfa_token();
    assert!(!answer.everything().contains(&core_token(ALICE)));
}

/// `/{username}/login` is the same route.
async fn the_login_alias_path_logs_in(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let body = app.login_body().to_string();
    let answer = app
        .post(
            "/alice1/login",
            &[("content-type", "application/json")],
            body,
        )
        .await;

    answer.assert_status(200);
    assert_eq!(answer.text(), login_body(ALICE));
}

/// `alice1.pryv.me/auth/login`: the username comes from the host's first label.
async fn the_username_is_taken_from_the_host(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    let body = app.login_body().to_string();
    let answer = app
        .post(
            "/auth/login",
            &[
                ("host", "alice1.pryv.me"),
                ("content-type", "application/json"),
            ],
            body,
        )
        .await;

    answer.assert_status(200);
    assert_eq!(answer.text(), login_body(ALICE));
    let calls = app.core().received_requests().await.unwrap_or_default();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].url.path(), "/alice1/auth/login");
}

/// An invalid username is refused before anything reaches the core.
async fn an_invalid_username_is_refused_without_calling_the_core(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    for (username, why) in [
        ("ab", "too short"),
        ("-alice", "starts with '-'"),
        ("alice-", "ends with '-'"),
        ("alice_1", "has '_'"),
        ("al%2Fice1", "has an encoded '/'"),
    ] {
        let answer = app
            .post(
                &format!("/{username}/auth/login"),
                &[],
                app.login_body().to_string(),
            )
            .await;

        assert_eq!(answer.status, 400, "{why}: {}", answer.text());
        assert_eq!(
            answer.error_id().as_deref(),
            Some("invalid-parameters-format"),
            "{why}"
        );
    }
    let calls = app.core().received_requests().await.unwrap_or_default();
    assert!(
        calls.is_empty(),
        "the core was called {} times",
        calls.len()
    );
}

/// A body that is not a JSON object is refused here, in Pryv's error shape, and the
/// core never sees it.
async fn a_login_body_that_is_not_a_json_object_is_refused_without_calling_the_core(
    store: StoreKind,
) {
    let app = spawn_app(TestOptions::new(store)).await;

    for body in ["", "{\"username\":", "[1,2]", "null", "42"] {
        let answer = app
            .post(
                "/alice1/auth/login",
                &[("content-type", "application/json")],
                body.to_owned(),
            )
            .await;

        answer.assert_error(400, "invalid-request-structure");
    }
    let calls = app.core().received_requests().await.unwrap_or_default();
    assert!(
        calls.is_empty(),
        "the core was called {} times",
        calls.len()
    );
}

both_stores!(
    a_login_body_that_is_not_a_json_object_is_refused_without_calling_the_core,
    login_without_mfa_answers_the_core_body_and_cookie,
    login_forwards_origin_and_referer_to_the_core,
    login_forwards_the_core_refusal,
    login_answers_503_when_the_core_is_unreachable,
    login_with_mfa_active_answers_only_an_mfa_token,
    mfa_token_status_200_announces_the_mfa_token_with_200,
    the_login_alias_path_logs_in,
    the_username_is_taken_from_the_host,
    an_invalid_username_is_refused_without_calling_the_core,
);
