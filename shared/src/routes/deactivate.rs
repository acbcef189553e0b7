//! `POST /{username}/mfa/deactivate`: turns MFA off with a personal token.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

use super::{json_response, request};
use crate::context::AppContext;
use crate::domain::Username;
use crate::error::ApiError;

/// Checks the personal token with the core and turns MFA off. Turning off MFA that
/// is not on succeeds too: the user's wish holds either way.
pub(super) async fn deactivate(
    ctx: &AppContext,
    user: Username,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let personal_token = request::token(&request)?;
    ctx.core
        .check_personal_token(&user, &personal_token)
        .await?;

    ctx.store.delete_profile(&user).await?;
    Ok(json_response(
        StatusCode::OK,
        json!({ "message": "MFA deactivated." }),
    ))
}
