//! Turns SDK failures into [`StoreError`]s whose text names the operation and the
//! DynamoDB error code, never a request's or an item's values.

use std::error::Error;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::store::StoreError;

/// Any failure of a DynamoDB call that is not a typed outcome: connection refused,
/// timeout, throttling, a missing table, a 5xx, a refused request. All are
/// [`StoreError::Unavailable`]: the caller can only answer "retry later".
pub(super) fn unavailable<E>(operation: &'static str, err: SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    let error = match &err {
        // A service error's message may quote the request (a key, a value in a
        // validation message): keep only its code and HTTP status.
        // Known limit: a ValidationException (a bug here) is then reported without
        // DynamoDB's explanation; reproduce it against moto to read it.
        SdkError::ServiceError(context) => {
            let code = err.code().unwrap_or("unknown error code");
            let status = context.raw().status().as_u16();
            anyhow::anyhow!("{}, HTTP {status}", describe(code))
        }
        // Connection, timeout and response-parsing failures carry no item values.
        _ => anyhow::Error::new(err),
    };
    StoreError::Unavailable(error.context(format!("DynamoDB {operation} failed")))
}

fn describe(code: &str) -> String {
    let meaning = match code {
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded" => "throttled",
        "ResourceNotFoundException" => "table not found",
        "TransactionConflictException" => "conflicting transaction",
        _ => return code.to_owned(),
    };
    format!("{meaning} ({code})")
}
