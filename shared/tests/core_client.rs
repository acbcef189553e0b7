//! The Pryv core client against a fake core (wiremock): what it sends, and how the
//! core's success, refusal, failure and silence come back.

use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use pryv_mfa::core_client::{http_client, CoreClient};
use pryv_mfa::domain::Username;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(base: &str) -> CoreClient {
    let http = http_client(Duration::from_secs(1), Duration::from_secs(2)).expect("client");
    CoreClient::new(http, url::Url::parse(base).expect("URL"))
}

fn alice() -> Username {
    Username::parse("alice").expect("valid")
}

#[tokio::test]
async fn login_forwards_the_body_and_origin_and_returns_the_answer_whole() {
    let core = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/alice/auth/login"))
        .and(header("origin", "https://app.example"))
        .and(body_string(
            r#"{"username":"alice","password":"p","appId":"a"}"#,
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", "sso=1")
                .set_body_string(r#"{"token":"t"}"#),
        )
        .mount(&core)
        .await;
    let mut headers = HeaderMap::new();
    headers.insert("origin", "https://app.example".parse().expect("header"));
    headers.insert("x-other", "not forwarded".parse().expect("header"));
    let body = Bytes::from_static(br#"{"username":"alice","password":"p","appId":"a"}"#);

    let answer = client(&core.uri())
        .login(&alice(), body, &headers)
        .await
        .expect("answer");

    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, br#"{"token":"t"}"#);
    assert_eq!(answer.set_cookies, ["sso=1"]);
    let received = core.received_requests().await.expect("recorded");
    assert!(received[0].headers.get("x-other").is_none());
}

#[tokio::test]
async fn a_refusal_is_forwarded_and_a_non_personal_token_is_forbidden() {
    let core = MockServer::start().await;
    Mock::given(header("authorization", "refused"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_string(r#"{"error":{"id":"invalid-access-token","message":"m"}}"#),
        )
        .mount(&core)
        .await;
    Mock::given(header("authorization", "app-token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"type":"app"}"#))
        .mount(&core)
        .await;
    Mock::given(header("authorization", "personal-token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"type":"personal"}"#))
        .mount(&core)
        .await;
    let client = client(&core.uri());

    let refused = client
        .check_personal_token(&alice(), "refused")
        .await
        .unwrap_err();
    let app = client
        .check_personal_token(&alice(), "app-token")
        .await
        .unwrap_err();
    let personal = client
        .check_personal_token(&alice(), "personal-token")
        .await;

    assert_eq!(refused.status(), 403);
    assert_eq!(refused.id(), None, "forwarded as the core wrote it");
    assert_eq!(app.id(), Some("forbidden"));
    assert!(personal.is_ok());
}

#[tokio::test]
async fn an_unreachable_or_silent_core_is_api_unavailable() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        format!("http://{}", listener.local_addr().expect("an address"))
    };
    let silent = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&silent)
        .await;

    for (description, base) in [
        ("closed port", closed),
        ("slower than the timeout", silent.uri()),
    ] {
        let error = client(&base)
            .login(&alice(), Bytes::from_static(b"{}"), &HeaderMap::new())
            .await
            .unwrap_err();

        assert_eq!(error.status(), 503, "{description}");
        assert_eq!(error.id(), Some("api-unavailable"), "{description}");
    }
}
