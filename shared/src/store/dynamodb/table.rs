//! Creating the store's table: for `mfa-local --create-table` and tests. Deployed
//! stacks create it from the infrastructure template instead.

use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification, TimeToLiveStatus,
};

use super::error::unavailable;
use super::item::attr;
use super::{build_failed, DynamoDbStore};
use crate::store::{StoreError, StoreResult};

/// How long a new table may take to become active.
const ACTIVE_WAIT: Duration = Duration::from_secs(60);

impl DynamoDbStore {
    /// Creates the table if it does not exist (on-demand billing, key `pk`), waits
    /// until it is active and turns TTL on for the `ttl` attribute. Does nothing to a
    /// table that is already set up.
    pub async fn create_table_if_missing(&self) -> StoreResult<()> {
        if !self.table_exists().await? {
            self.create_table().await?;
        }
        self.client
            .wait_until_table_exists()
            .table_name(&self.table)
            .wait(ACTIVE_WAIT)
            .await
            .map_err(|err| {
                StoreError::Unavailable(
                    anyhow::Error::new(err).context("waiting for the DynamoDB table"),
                )
            })?;
        self.enable_ttl().await
    }

    async fn table_exists(&self) -> StoreResult<bool> {
        let result = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(DescribeTableError::ResourceNotFoundException(_)) => Ok(false),
                _ => Err(unavailable("DescribeTable", err)),
            },
        }
    }

    async fn create_table(&self) -> StoreResult<()> {
        let key = KeySchemaElement::builder()
            .attribute_name(attr::PK)
            .key_type(KeyType::Hash)
            .build()
            .map_err(build_failed)?;
        let key_type = AttributeDefinition::builder()
            .attribute_name(attr::PK)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(build_failed)?;
        let result = self
            .client
            .create_table()
            .table_name(&self.table)
            .key_schema(key)
            .attribute_definitions(key_type)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                // Created by someone else meanwhile: as good.
                Some(CreateTableError::ResourceInUseException(_)) => Ok(()),
                _ => Err(unavailable("CreateTable", err)),
            },
        }
    }

    async fn enable_ttl(&self) -> StoreResult<()> {
        let current = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|err| unavailable("DescribeTimeToLive", err))?;
        let status = current
            .time_to_live_description()
            .and_then(|description| description.time_to_live_status());
        // DynamoDB refuses to enable TTL twice.
        if matches!(
            status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        ) {
            return Ok(());
        }
        let specification = TimeToLiveSpecification::builder()
            .attribute_name(attr::TTL)
            .enabled(true)
            .build()
            .map_err(build_failed)?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(specification)
            .send()
            .await
            .map_err(|err| unavailable("UpdateTimeToLive", err))?;
        Ok(())
    }
}
