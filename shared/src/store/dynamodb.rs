//! The DynamoDB store.
//!
//! STUB: written in its own change.

use async_trait::async_trait;

use super::{
    AttemptOutcome, CodeRecord, ConfirmOutcome, CounterOutcome, Profile, SendOutcome, Session,
    Store, StoreError, StoreResult,
};
use crate::domain::Username;

/// A [`Store`] in one DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoDbStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoDbStore {
    /// A store on `table`, with the client's configuration.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn unwritten() -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("DynamoDbStore is not written yet"))
}

#[async_trait]
impl Store for DynamoDbStore {
    async fn profile(&self, _: &Username) -> StoreResult<Option<Profile>> {
        let _ = (&self.client, &self.table);
        Err(unwritten())
    }
    async fn confirm_activation(
        &self,
        _: &str,
        _: &Username,
        _: &Profile,
        _: u64,
    ) -> StoreResult<ConfirmOutcome> {
        Err(unwritten())
    }
    async fn delete_profile(&self, _: &Username) -> StoreResult<bool> {
        Err(unwritten())
    }
    async fn redeem_recovery_code(&self, _: &Username, _: &str) -> StoreResult<bool> {
        Err(unwritten())
    }
    async fn insert_session(&self, _: &Session) -> StoreResult<()> {
        Err(unwritten())
    }
    async fn session(&self, _: &str, _: u64) -> StoreResult<Option<Session>> {
        Err(unwritten())
    }
    async fn record_send(
        &self,
        _: &str,
        _: u64,
        _: u64,
        _: Option<CodeRecord>,
    ) -> StoreResult<SendOutcome> {
        Err(unwritten())
    }
    async fn take_attempt(&self, _: &str, _: u32, _: u64) -> StoreResult<AttemptOutcome> {
        Err(unwritten())
    }
    async fn consume_session(&self, _: &str, _: u64) -> StoreResult<bool> {
        Err(unwritten())
    }
    async fn increment_counter(
        &self,
        _: &str,
        _: u32,
        _: u64,
        _: u64,
    ) -> StoreResult<CounterOutcome> {
        Err(unwritten())
    }
    async fn counter(&self, _: &str, _: u64) -> StoreResult<u32> {
        Err(unwritten())
    }
}

impl DynamoDbStore {
    /// STUB: a store on `table` with the SDK's environment.
    pub async fn from_env(table: &str) -> Self {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::new(aws_sdk_dynamodb::Client::new(&config), table)
    }
}

impl DynamoDbStore {
    /// STUB: creates the table when missing.
    pub async fn create_table_if_missing(&self) -> StoreResult<()> {
        Err(unwritten())
    }
}
