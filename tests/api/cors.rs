//! CORS: every answer carries the headers (302 and errors included), and OPTIONS
//! answers the preflight.

use mfa_tests::{both_stores, spawn_app, Answer, StoreKind, TestOptions};

const ORIGIN: &str = "https://sw.pryv.me";
const ROUTES: [&str; 8] = [
    "auth/login",
    "login",
    "mfa/activate",
    "mfa/confirm",
    "mfa/challenge",
    "mfa/verify",
    "mfa/deactivate",
    "mfa/recover",
];

#[track_caller]
fn assert_cors(answer: &Answer, origin: Option<&str>, what: &str) {
    let allowed = answer.header("access-control-allow-origin");
    assert_eq!(allowed, Some(origin.unwrap_or("*")), "{what}");
    if origin.is_some() {
        assert_eq!(
            answer.header("access-control-allow-credentials"),
            Some("true"),
            "{what}"
        );
    }
    let methods = answer
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("POST"), "{what}: {methods}");
    let headers = answer
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for needed in ["authorization", "content-type"] {
        assert!(headers.contains(needed), "{what}: {headers}");
    }
}

/// Successes, the 302, forwarded refusals and errors all carry CORS headers, with
/// the caller's origin or `*`.
async fn every_answer_carries_cors_headers(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;
    let down = spawn_app(TestOptions::new(store).core_unreachable()).await;
    app.activate_mfa().await;
    let login = app.login_body().to_string();
    let mut wrong = app.login_body();
    wrong["password"] = "wrong".into();
    let wrong = wrong.to_string();

    for origin in [Some(ORIGIN), None] {
        let mut headers = vec![("content-type", "application/json")];
        headers.extend(origin.map(|o| ("origin", o)));
        let token = app.mfa_login().await;
        let mut with_token = headers.clone();
        with_token.push(("authorization", &token));
        let cases = [
            (
                app.post("/alice1/auth/login", &headers, login.clone())
                    .await,
                302,
            ),
            (
                app.post("/alice1/auth/login", &headers, wrong.clone())
                    .await,
                401,
            ),
            (
                app.post("/alice1/mfa/challenge", &with_token, "{}").await,
                200,
            ),
            (
                app.post("/alice1/mfa/challenge", &with_token, "{}").await,
                429,
            ),
            (
                app.post("/alice1/mfa/verify", &with_token, r#"{"code":"1"}"#)
                    .await,
                400,
            ),
            (app.post("/alice1/mfa/activate", &headers, "{}").await, 403),
            (app.post("/ab/mfa/activate", &headers, "{}").await, 400),
            (
                down.post("/alice1/auth/login", &headers, login.clone())
                    .await,
                503,
            ),
        ];

        for (index, (answer, status)) in cases.iter().enumerate() {
            let what = format!("case {index} with origin {origin:?}");
            assert_eq!(answer.status, *status, "{what}: {}", answer.text());
            assert_cors(answer, origin, &what);
        }
    }
}

/// OPTIONS on every route answers 200 with the CORS headers and does nothing else.
async fn options_answers_the_preflight_on_every_route(store: StoreKind) {
    let app = spawn_app(TestOptions::new(store)).await;

    for route in ROUTES {
        let answer = app
            .options(
                &format!("/alice1/{route}"),
                &[
                    ("origin", ORIGIN),
                    ("access-control-request-method", "POST"),
                    (
                        "access-control-request-headers",
                        "authorization,content-type",
                    ),
                ],
            )
            .await;

        assert_eq!(answer.status, 200, "{route}: {}", answer.text());
        assert_cors(&answer, Some(ORIGIN), route);
    }
    let calls = app.core().received_requests().await.unwrap_or_default();
    assert!(calls.is_empty());
}

both_stores!(
    every_answer_carries_cors_headers,
    options_answers_the_preflight_on_every_route,
);
