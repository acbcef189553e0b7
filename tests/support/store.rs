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

/// A new, empty store of the kind asked, with its table's name for DynamoDB.
pub(crate) async fn build(kind: StoreKind) -> (Arc<dyn Store>, Option<String>) {
    match kind {
        StoreKind::Memory => (Arc::new(MemoryStore::new()), None),
        StoreKind::DynamoDb => {
            let store = dynamodb().await;
            let table = store.table().to_owned();
            (Arc::new(store), Some(table))
        }
    }
}

/// Every attribute value of every item of `table`, as text, keyed by the item's `pk`.
pub async fn scan_table(table: &str) -> Vec<(String, String)> {
    let config = DynamoDbStore::config_loader().load().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap_or_else(|e| panic!("scanning {table}: {e}"));
        for item in page.items() {
            let pk = item
                .get("pk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            items.push((pk, format!("{item:?}")));
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return items;
        }
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
