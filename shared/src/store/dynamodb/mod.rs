//! The DynamoDB store: every [`Store`] operation as one conditional request (or one
//! transaction), so that DynamoDB itself makes it atomic across Lambda instances.
//!
//! # Item layout
//!
//! One table, partition key `pk` (string), no sort key. Times are Unix seconds.
//!
//! | `pk` | Attributes |
//! | --- | --- |
//! | `user#<username>` | `sealedData` (S), `recoveryHashes` (L of S), `activatedAt` (N) |
//! | `session#<id>` | `username` (S), `purpose` (S: `activation`/`login`), `sealed` (S), `expiresAt` (N), `ttl` (N), `attempts` (N), optional `codeDigest` (S), `codeExpiresAt` (N), `lastSendAt` (N) |
//! | `counter#<key>` | `count` (N), `expiresAt` (N), `ttl` (N) |
//!
//! `ttl` is the table's TTL attribute and equals `expiresAt`. DynamoDB deletes expired
//! items late (up to days), so expiry is also checked on every read and in every
//! condition (`expiresAt > :now`): an expired session or counter is absent.
//!
//! Reads that decide are strongly consistent. A failed condition is a typed outcome;
//! any other failure is [`StoreError::Unavailable`], an unreadable item
//! [`StoreError::Corrupt`]. Error texts name operations and attributes, never values.

mod error;
mod item;
mod table;

use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use super::{
    AttemptOutcome, CodeRecord, ConfirmOutcome, CounterOutcome, Profile, Purpose, SendOutcome,
    Session, Store, StoreError, StoreResult,
};
use crate::domain::Username;
use error::unavailable;
use item::{attr, counter_key, number, profile_key, session_key, Item};

/// How long one call may take, retries included: a Lambda answers in seconds.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts per call, the first included: enough for a throttle or a dropped
/// connection, few enough that a dead endpoint fails fast.
const MAX_ATTEMPTS: u32 = 3;
/// Rounds of a counter's restart or an activation's transaction lost to a
/// concurrent writer before giving up; each lost round means another caller won.
const MAX_ROUNDS: u32 = 8;

/// The pause after a transaction cancelled by a concurrent one, times the round.
const CONFLICT_PAUSE: Duration = Duration::from_millis(20);

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

    /// The SDK's standard configuration sources (environment, profile, instance
    /// role) with this store's timeouts and retry budget, so that a dead endpoint
    /// fails in seconds. Callers may override more before `load()`.
    pub fn config_loader() -> ConfigLoader {
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(OPERATION_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build();
        let retries = RetryConfig::standard()
            .with_max_attempts(MAX_ATTEMPTS)
            .with_max_backoff(Duration::from_secs(1));
        aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts)
            .retry_config(retries)
    }

    /// A store on `table`, configured by the SDK's standard variables
    /// (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL`
    /// for a local server).
    pub async fn from_env(table: impl Into<String>) -> Self {
        let config = Self::config_loader().load().await;
        Self::new(aws_sdk_dynamodb::Client::new(&config), table)
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// One item by key, strongly consistent.
    async fn get(&self, key: AttributeValue) -> StoreResult<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(attr::PK, key)
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem", err))?;
        Ok(output.item)
    }

    /// One try of the activation transaction; `None` when a concurrent transaction
    /// on the same items made DynamoDB cancel it without judging the conditions.
    async fn try_confirm_activation(
        &self,
        session_id: &str,
        user: &Username,
        profile: &Profile,
        now: u64,
    ) -> StoreResult<Option<ConfirmOutcome>> {
        let spend_session = Delete::builder()
            .table_name(&self.table)
            .key(attr::PK, session_key(session_id))
            .condition_expression(
                "expiresAt > :now AND purpose = :purpose AND username = :username",
            )
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":purpose", item::purpose(Purpose::Activation))
            .expression_attribute_values(":username", item::string(user.as_str()))
            .build()
            .map_err(build_failed)?;
        let save_profile = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item::profile_item(user, profile)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_failed)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(spend_session).build())
            .transact_items(TransactWriteItem::builder().put(save_profile).build())
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(Some(ConfirmOutcome::Activated)),
            Err(err) => err,
        };
        match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                Ok(confirm_outcome(cancelled.cancellation_reasons()))
            }
            _ => Err(unavailable("TransactWriteItems", err)),
        }
    }

    /// Starts a counter's window afresh at 1 if its window ended; `false` when the
    /// window is live again (another caller restarted it first).
    async fn restart_counter(&self, key: &str, expires_at: u64, now: u64) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, counter_key(key))
            .update_expression("SET #count = :one, expiresAt = :expires, #ttl = :expires")
            .condition_expression("expiresAt <= :now")
            .expression_attribute_names("#count", attr::COUNT)
            .expression_attribute_names("#ttl", attr::TTL)
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":expires", number(expires_at))
            .expression_attribute_values(":now", number(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_update_condition_failure(&err) => Ok(false),
            Err(err) => Err(unavailable("UpdateItem", err)),
        }
    }

    /// Counts one in a live window under the limit, or creates the counter.
    /// `Err(old item)` when the condition failed: limit reached or window ended.
    async fn try_count(
        &self,
        key: &str,
        limit: u32,
        expires_at: u64,
        now: u64,
    ) -> StoreResult<Result<u32, Option<Item>>> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, counter_key(key))
            .update_expression(
                "SET #count = if_not_exists(#count, :zero) + :one, \
                 expiresAt = if_not_exists(expiresAt, :expires), \
                 #ttl = if_not_exists(#ttl, :expires)",
            )
            .condition_expression(
                "attribute_not_exists(pk) OR (expiresAt > :now AND #count < :limit)",
            )
            .expression_attribute_names("#count", attr::COUNT)
            .expression_attribute_names("#ttl", attr::TTL)
            .expression_attribute_values(":zero", number(0))
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":expires", number(expires_at))
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":limit", number(limit))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let new = output.attributes.unwrap_or_default();
                Ok(Ok(item::required_number(&new, attr::COUNT)?))
            }
            Err(err) => match update_condition_failure(&err) {
                Some(old) => Ok(Err(old)),
                None => Err(unavailable("UpdateItem", err)),
            },
        }
    }
}

/// The outcome a cancelled activation transaction stands for, judged as
/// `MemoryStore` does: the session first, then the profile. `None` when no
/// condition failed (a conflict with a concurrent transaction: try again).
fn confirm_outcome(reasons: &[CancellationReason]) -> Option<ConfirmOutcome> {
    let failed = |index: usize| {
        reasons
            .get(index)
            .and_then(CancellationReason::code)
            .is_some_and(|code| code == "ConditionalCheckFailed")
    };
    if failed(0) {
        Some(ConfirmOutcome::SessionGone)
    } else if failed(1) {
        Some(ConfirmOutcome::AlreadyActive)
    } else {
        None
    }
}

/// The old item when an UpdateItem failed on its condition (empty when there was
/// none); `None` for any other failure.
fn update_condition_failure(
    err: &aws_sdk_dynamodb::error::SdkError<UpdateItemError>,
) -> Option<Option<Item>> {
    match err.as_service_error() {
        Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
            Some(failed.item().cloned())
        }
        _ => None,
    }
}

fn is_update_condition_failure(err: &aws_sdk_dynamodb::error::SdkError<UpdateItemError>) -> bool {
    update_condition_failure(err).is_some()
}

fn is_delete_condition_failure(err: &aws_sdk_dynamodb::error::SdkError<DeleteItemError>) -> bool {
    matches!(
        err.as_service_error(),
        Some(DeleteItemError::ConditionalCheckFailedException(_))
    )
}

/// A request this module built wrongly: a bug, reported as the store failing.
fn build_failed(err: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(anyhow::Error::new(err).context("building a DynamoDB request"))
}

/// The old session of a failed condition, if it was still live at `now`.
fn live_session(old: Option<Item>, now: u64) -> StoreResult<Option<Session>> {
    let Some(old) = old else { return Ok(None) };
    let session = item::session_from_item(&old)?;
    Ok((session.expires_at > now).then_some(session))
}

#[async_trait]
impl Store for DynamoDbStore {
    async fn profile(&self, user: &Username) -> StoreResult<Option<Profile>> {
        let found = self.get(profile_key(user)).await?;
        found.as_ref().map(item::profile_from_item).transpose()
    }

    async fn confirm_activation(
        &self,
        session_id: &str,
        user: &Username,
        profile: &Profile,
        now: u64,
    ) -> StoreResult<ConfirmOutcome> {
        for round in 1..=MAX_ROUNDS {
            let tried = self
                .try_confirm_activation(session_id, user, profile, now)
                .await?;
            if let Some(outcome) = tried {
                return Ok(outcome);
            }
            // A concurrent transaction holds the items: let it finish.
            // Known limit: moto never cancels for a conflict, so this path is only
            // exercised against real DynamoDB.
            tokio::time::sleep(CONFLICT_PAUSE * round).await;
        }
        Err(StoreError::Unavailable(anyhow::anyhow!(
            "DynamoDB TransactWriteItems kept conflicting with concurrent transactions"
        )))
    }

    async fn delete_profile(&self, user: &Username) -> StoreResult<bool> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(attr::PK, profile_key(user))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_delete_condition_failure(&err) => Ok(false),
            Err(err) => Err(unavailable("DeleteItem", err)),
        }
    }

    async fn redeem_recovery_code(&self, user: &Username, hash: &str) -> StoreResult<bool> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(attr::PK, profile_key(user))
            .condition_expression("contains(recoveryHashes, :hash)")
            .expression_attribute_values(":hash", item::string(hash))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_delete_condition_failure(&err) => Ok(false),
            Err(err) => Err(unavailable("DeleteItem", err)),
        }
    }

    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item::session_item(session)))
            .send()
            .await
            .map_err(|err| unavailable("PutItem", err))?;
        Ok(())
    }

    async fn session(&self, id: &str, now: u64) -> StoreResult<Option<Session>> {
        live_session(self.get(session_key(id)).await?, now)
    }

    async fn record_send(
        &self,
        id: &str,
        now: u64,
        min_interval: u64,
        code: Option<CodeRecord>,
    ) -> StoreResult<SendOutcome> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, session_key(id))
            .condition_expression(
                "expiresAt > :now AND \
                 (attribute_not_exists(lastSendAt) OR lastSendAt <= :latest)",
            )
            .expression_attribute_values(":now", number(now))
            // Signed: before `min_interval` seconds of the epoch, every send is recent.
            .expression_attribute_values(
                ":latest",
                number(i128::from(now) - i128::from(min_interval)),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        request = match code {
            Some(code) => request
                .update_expression(
                    "SET lastSendAt = :now, codeDigest = :digest, codeExpiresAt = :codeExpires",
                )
                .expression_attribute_values(":digest", item::string(code.digest))
                .expression_attribute_values(":codeExpires", number(code.expires_at)),
            None => request.update_expression("SET lastSendAt = :now"),
        };
        let err = match request.send().await {
            Ok(_) => return Ok(SendOutcome::Recorded),
            Err(err) => err,
        };
        let Some(old) = update_condition_failure(&err) else {
            return Err(unavailable("UpdateItem", err));
        };
        let Some(session) = live_session(old, now)? else {
            return Ok(SendOutcome::SessionGone);
        };
        let next = session
            .last_send_at
            .unwrap_or(0)
            .saturating_add(min_interval);
        // At least 1: the condition saw a send too recent, whatever the clock says.
        let retry_after = next.saturating_sub(now).max(1);
        Ok(SendOutcome::TooSoon { retry_after })
    }

    async fn take_attempt(&self, id: &str, max: u32, now: u64) -> StoreResult<AttemptOutcome> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, session_key(id))
            .update_expression("SET attempts = attempts + :one")
            .condition_expression("expiresAt > :now AND attempts < :max")
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":max", number(max))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(AttemptOutcome::Granted),
            Err(err) => err,
        };
        match update_condition_failure(&err) {
            Some(old) => match live_session(old, now)? {
                Some(_) => Ok(AttemptOutcome::Exhausted),
                None => Ok(AttemptOutcome::SessionGone),
            },
            None => Err(unavailable("UpdateItem", err)),
        }
    }

    async fn consume_session(&self, id: &str, now: u64) -> StoreResult<bool> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(attr::PK, session_key(id))
            .condition_expression("expiresAt > :now")
            .expression_attribute_values(":now", number(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_delete_condition_failure(&err) => Ok(false),
            Err(err) => Err(unavailable("DeleteItem", err)),
        }
    }

    async fn increment_counter(
        &self,
        key: &str,
        limit: u32,
        expires_at: u64,
        now: u64,
    ) -> StoreResult<CounterOutcome> {
        if limit == 0 {
            return Ok(CounterOutcome::LimitReached);
        }
        // Two conditional steps, exact under races: counting only succeeds in a live
        // window under the limit, and restarting only on an ended window, so one
        // caller restarts it and the others count in the new window.
        for _ in 0..MAX_ROUNDS {
            let old = match self.try_count(key, limit, expires_at, now).await? {
                Ok(count) => return Ok(CounterOutcome::Counted(count)),
                Err(old) => old,
            };
            let ended = match old.as_ref().map(item::counter_from_item).transpose()? {
                Some((_, window_end)) => window_end <= now,
                // Deleted (by TTL) in between: counting creates it afresh.
                None => continue,
            };
            if !ended {
                return Ok(CounterOutcome::LimitReached);
            }
            if self.restart_counter(key, expires_at, now).await? {
                return Ok(CounterOutcome::Counted(1));
            }
        }
        Err(StoreError::Unavailable(anyhow::anyhow!(
            "DynamoDB counter kept changing under concurrent writers"
        )))
    }

    async fn counter(&self, key: &str, now: u64) -> StoreResult<u32> {
        let Some(found) = self.get(counter_key(key)).await? else {
            return Ok(0);
        };
        let (count, window_end) = item::counter_from_item(&found)?;
        Ok(if window_end > now { count } else { 0 })
    }
}
