//! Reading the configuration parameter from a real SSM API (moto's server on loopback).
//!
//! Needs `AWS_ENDPOINT_URL_SSM`, dummy credentials and `AWS_REGION`, as exported by
//! `scripts/test.sh`; without the endpoint the tests fail and say so, rather than reach
//! for a real AWS account.

use aws_config::BehaviorVersion;
use aws_sdk_ssm::types::ParameterType;
use pryv_mfa::ssm::{fetch_parameter, ParameterSource, SsmError};
use secrecy::ExposeSecret;

/// Fails the test, clearly, when no local SSM endpoint is configured.
fn require_local_ssm() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SSM").unwrap_or_default();
    assert!(
        !endpoint.is_empty(),
        "AWS_ENDPOINT_URL_SSM is not set: run these tests through scripts/test.sh, \
         or start `.venv/bin/moto_server -p PORT` and export \
         AWS_ENDPOINT_URL_SSM=http://127.0.0.1:PORT AWS_REGION=us-east-1 \
         AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"
    );
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "AWS_ENDPOINT_URL_SSM must point at a loopback server, not {endpoint}"
    );
}

/// A client for writing test parameters, on the same environment the source uses.
async fn admin_client() -> aws_sdk_ssm::Client {
    let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
    aws_sdk_ssm::Client::new(&shared)
}

/// A parameter name no other test (or earlier run on the same server) uses.
fn unique_name(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("/pryv-mfa-test/{label}-{}-{nanos}", std::process::id())
}

#[tokio::test]
async fn secure_string_comes_back_decrypted() {
    require_local_ssm();
    let name = unique_name("config");
    let document = "sms:\n  endpoints:\n    single:\n      url: 'https://sms.example/send'\n      headers:\n        authorization: 'Bearer api-key-123'\n";
    admin_client()
        .await
        .put_parameter()
        .name(&name)
        .value(document)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("put the test parameter");

    let value = ParameterSource::from_env()
        .await
        .fetch(&name)
        .await
        .expect("read the parameter back");
    assert_eq!(value.expose_secret(), document);

    // The one-shot helper the functions call at cold start gives the same.
    let again = fetch_parameter(&name).await.expect("read it again");
    assert_eq!(again.expose_secret(), document);
}

#[tokio::test]
async fn missing_parameter_is_not_found_and_named() {
    require_local_ssm();
    let name = unique_name("absent");
    let err = ParameterSource::from_env()
        .await
        .fetch(&name)
        .await
        .expect_err("no such parameter");
    assert!(
        matches!(&err, SsmError::NotFound { name: n } if *n == name),
        "{err:?}"
    );
    assert!(err.to_string().contains(&name), "{err}");
}

#[tokio::test]
async fn value_never_appears_in_debug_output() {
    require_local_ssm();
    let name = unique_name("redacted");
    let secret = "api-key-that-must-not-leak";
    admin_client()
        .await
        .put_parameter()
        .name(&name)
        .value(secret)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("put the test parameter");

    let value = fetch_parameter(&name).await.expect("read the parameter");
    assert!(!format!("{value:?}").contains(secret));
}
