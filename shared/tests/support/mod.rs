//! Stores for tests: a fresh table on the local DynamoDB API server that
//! `scripts/test.sh` starts, and a store whose endpoint is a closed loopback port.
#![allow(dead_code)] // Each test binary uses its own part.

use std::net::TcpListener;

use aws_sdk_dynamodb::config::{Credentials, Region};
use pryv_mfa::store::DynamoDbStore;

/// The variable `scripts/test.sh` sets once its local DynamoDB API server answers.
pub const DYNAMODB_SWITCH: &str = "MFA_TEST_DYNAMODB";

/// A store on a new table with a random name, on the local server.
///
/// Panics (failing the test, never skipping it) when the local server is not
/// announced, or when the endpoint is not on loopback: tests must never create
/// tables in a real AWS account.
pub async fn dynamodb_store() -> DynamoDbStore {
    let store = dynamodb_store_without_table().await;
    if let Err(err) = store.create_table_if_missing().await {
        panic!("creating the test table on the local DynamoDB API server: {err:#}");
    }
    store
}

/// A store on the local server, on a table name nobody created.
pub async fn dynamodb_store_without_table() -> DynamoDbStore {
    require_local_dynamodb();
    let table = format!("mfa-test-{:016x}", rand::random::<u64>());
    DynamoDbStore::from_env(table).await
}

/// A store whose endpoint is a loopback port nobody listens on.
pub async fn unreachable_dynamodb_store() -> DynamoDbStore {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        listener.local_addr().expect("a bound address").port()
    };
    let sdk_config = DynamoDbStore::config_loader()
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await;
    // Set on the service config: it wins over any endpoint in the environment.
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config)
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    DynamoDbStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        "mfa-unreachable",
    )
}

fn require_local_dynamodb() {
    if std::env::var_os(DYNAMODB_SWITCH).is_none() {
        panic!(
            "The DynamoDB store tests need a local DynamoDB API server: run them with \
             `bash scripts/test.sh` (it installs and starts one), or start one yourself \
             and set {DYNAMODB_SWITCH}=1 and AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:<port>."
        );
    }
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .unwrap_or_default();
    let host = url::Url::parse(&endpoint)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned));
    let loopback = matches!(host.as_deref(), Some("127.0.0.1" | "localhost" | "[::1]"));
    assert!(
        loopback,
        "{DYNAMODB_SWITCH} is set but AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL) is \
         not a loopback URL: refusing to create test tables elsewhere"
    );
}
