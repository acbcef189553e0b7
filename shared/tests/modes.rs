//! The two modes against a fake provider (wiremock) on loopback, with the operator
//! examples of DESIGN.md section 4: the request the provider receives, and how its
//! answers (success, refusal, failure, silence) are read.

use std::time::Duration;

use pryv_mfa::config::Config;
use pryv_mfa::core_client::http_client;
use pryv_mfa::domain::{Code, UserData};
use pryv_mfa::modes::{IssuedCode, Messenger, ModeError};
use pryv_mfa::secrets::MfaToken;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NUMBER: &str = "41791231212";
const MESSAGE: &str = "Your%20Pryv%20Lab%20MFA%20code%20is%3A%20{{ code }}";

fn messenger(yaml: &str) -> Messenger {
    let config = Config::parse(yaml).unwrap_or_else(|e| panic!("test configuration: {e}"));
    let http = http_client(Duration::from_secs(1), Duration::from_secs(2)).expect("client");
    Messenger::new(http, &config)
}

fn smsmode(provider: &str) -> Messenger {
    messenger(&format!(
        "single:\n  url: '{provider}/http/1.6/sendSMS.do?accessToken=key&message={{{{ message }}}}\
         &emetteur=Pryv%20Lab&numero={{{{ number }}}}'\n  method: 'GET'\n"
    ))
}

fn smsapi(provider: &str, rule: &str) -> Messenger {
    let endpoint = |route: &str, body: &str| {
        format!(
            "  url: '{provider}/mfa/codes{route}'\n  method: 'POST'\n  body: '{body}'\n  \
             headers:\n    authorization: 'Bearer: your-api-key'\n    'content-type': 'application/json'\n"
        )
    };
    messenger(&format!(
        "challenge:\n{}verify:\n{}{rule}",
        endpoint("", r#"{"phone_number":"{{ number }}"}"#),
        endpoint(
            "/verifications",
            r#"{"phone_number":"{{ number }}","code":"{{ code }}"}"#
        ),
    ))
}

fn code(digits: &str) -> Code {
    Code::from_digits(digits.to_owned())
}

#[tokio::test]
async fn smsmode_receives_the_encoded_message_with_the_code_and_single_mode_checks_it() {
    let provider = MockServer::start().await;
    let messenger = smsmode(&provider.uri());
    let data = UserData::from_pairs([("number", NUMBER), ("message", MESSAGE)]);
    Mock::given(method("GET"))
        .and(path("/http/1.6/sendSMS.do"))
        .and(query_param("numero", NUMBER))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&provider)
        .await;
    let sent = messenger.new_code().expect("single mode makes codes");

    messenger
        .send(&data, Some(&sent))
        .await
        .expect("the send succeeds");

    let received = provider.received_requests().await.expect("recorded");
    let query = received[0].url.query().expect("a query");
    let expected = format!(
        "message=Your%20Pryv%20Lab%20MFA%20code%20is%3A%20{}&",
        sent.expose()
    );
    assert!(
        query.contains(&expected),
        "the message as the provider reads it"
    );
    let token = MfaToken::generate();
    let digest = token.code_digest(sent.expose());
    let issued = IssuedCode {
        token: &token,
        digest: &digest,
        expires_at: 2,
        now: 1,
    };
    assert!(messenger.check(&data, &sent, Some(issued)).await.is_ok());
    let other = if sent.expose() == "000000" {
        "000001"
    } else {
        "000000"
    };
    assert!(matches!(
        messenger.check(&data, &code(other), Some(issued)).await,
        Err(ModeError::InvalidCode)
    ));
}

#[tokio::test]
async fn smsapi_receives_the_exact_bodies_and_its_answers_decide() {
    let provider = MockServer::start().await;
    let messenger = smsapi(&provider.uri(), "");
    let data = UserData::from_pairs([("number", NUMBER)]);
    Mock::given(method("POST"))
        .and(path("/mfa/codes"))
        .and(header("authorization", "Bearer: your-api-key"))
        .and(header("content-type", "application/json"))
        .and(body_string(r#"{"phone_number":"41791231212"}"#))
        .respond_with(ResponseTemplate::new(201).set_body_string(r#"{"id":"x"}"#))
        .expect(1)
        .mount(&provider)
        .await;
    let verify = |code: &str, status: u16| {
        Mock::given(method("POST"))
            .and(path("/mfa/codes/verifications"))
            .and(header("authorization", "Bearer: your-api-key"))
            .and(body_string(format!(
                r#"{{"phone_number":"41791231212","code":"{code}"}}"#
            )))
            .respond_with(ResponseTemplate::new(status))
    };
    verify("12345", 204).mount(&provider).await;
    verify("11111", 404).mount(&provider).await;
    verify("22222", 500).mount(&provider).await;

    assert!(messenger.send(&data, None).await.is_ok(), "challenge sent");
    assert!(
        messenger.check(&data, &code("12345"), None).await.is_ok(),
        "204 accepts"
    );
    let refused = messenger.check(&data, &code("11111"), None).await;
    assert!(
        matches!(refused, Err(ModeError::InvalidCode)),
        "404 refuses"
    );
    let failed = messenger.check(&data, &code("22222"), None).await;
    assert!(
        matches!(failed, Err(ModeError::Provider(_))),
        "500 is a provider failure"
    );
}

#[tokio::test]
async fn a_verify_answered_with_a_body_needs_a_success_rule_to_pass() {
    let rule = "  success: {jsonPath: 'status', equals: 'approved'}\n";
    let cases = [
        ("pending, no rule", "", r#"{"status":"pending"}"#, false),
        (
            "pending, with the rule",
            rule,
            r#"{"status":"pending"}"#,
            false,
        ),
        (
            "approved, with the rule",
            rule,
            r#"{"status":"approved"}"#,
            true,
        ),
        ("approved, no rule", "", r#"{"status":"approved"}"#, false),
    ];
    for (description, rule, body, passes) in cases {
        let provider = MockServer::start().await;
        let messenger = smsapi(&provider.uri(), rule);
        Mock::given(path("/mfa/codes/verifications"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&provider)
            .await;
        let data = UserData::from_pairs([("number", NUMBER)]);

        let outcome = messenger.check(&data, &code("12345"), None).await;

        assert_eq!(outcome.is_ok(), passes, "{description}: {outcome:?}");
        if !passes {
            assert!(
                matches!(outcome, Err(ModeError::InvalidCode)),
                "{description}"
            );
        }
    }
}

#[tokio::test]
async fn an_unreachable_or_silent_provider_is_a_provider_failure() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        format!("http://{}", listener.local_addr().expect("an address"))
    };
    let silent = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_secs(5)))
        .mount(&silent)
        .await;
    let data = UserData::from_pairs([("number", NUMBER)]);

    for (description, url) in [
        ("closed port", closed),
        ("slower than the timeout", silent.uri()),
    ] {
        let messenger = smsapi(&url, "");
        let sent = messenger.send(&data, None).await;
        let checked = messenger.check(&data, &code("12345"), None).await;

        assert!(
            matches!(sent, Err(ModeError::Provider(_))),
            "{description}: {sent:?}"
        );
        assert!(
            matches!(checked, Err(ModeError::Provider(_))),
            "{description}: {checked:?}"
        );
    }
}
