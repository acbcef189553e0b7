//! The store of a test: in memory, or a fresh table on the DynamoDB API server that
//! `scripts/test.sh` starts on loopback.

use std::sync::Arc;

use pryv_mfa::store::{DynamoDbStore, MemoryStore, Store};

/// Which store the service runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// [`MemoryStore`]: runs everywhere.
    Memory,
    /// [`DynamoDbStore`] on a fresh table; needs `scripts/test.sh`.
    DynamoDb,
}

/// The variable `scripts/test.sh` sets once its DynamoDB server is up.
const ENABLED_VAR: &str = "MFA_TEST_DYNAMODB";
/// The SDK's endpoint override, which must point at loopback.
const ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_DYNAMODB";

/// A new, empty store of the kind asked.
pub(crate) async fn build(kind: StoreKind) -> Arc<dyn Store> {
    match kind {
        StoreKind::Memory => Arc::new(MemoryStore::new()),
        StoreKind::DynamoDb => Arc::new(dynamodb().await),
    }
}

/// A fresh table. Without the server this fails, never skips: a skipped test would
/// pass for a store that was never run.
async fn dynamodb() -> DynamoDbStore {
    if std::env::var(ENABLED_VAR).as_deref() != Ok("1") {
        panic!(
            "DynamoDB-store tests need a local DynamoDB API server: run scripts/test.sh \
             (it starts one and sets {ENABLED_VAR}=1 and {ENDPOINT_VAR})"
        );
    }
    let endpoint = std::env::var(ENDPOINT_VAR).unwrap_or_default();
    let host = url::Url::parse(&endpoint)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned));
    // Tests create and fill tables: never in a real account.
    if !matches!(host.as_deref(), Some("127.0.0.1" | "localhost" | "[::1]")) {
        panic!("{ENDPOINT_VAR} must point at a loopback server: run scripts/test.sh");
    }
    let table = format!(
        "mfa-test-{}{}",
        pryv_mfa::secrets::generate_code(9),
        pryv_mfa::secrets::generate_code(9)
    );
    let store = DynamoDbStore::from_env(&table).await;
    if let Err(error) = store.create_table_if_missing().await {
        panic!("creating the test table failed ({error}): is scripts/test.sh's server up?");
    }
    store
}
