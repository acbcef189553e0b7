//! `POST /{username}/mfa/recover`: turns MFA off with the password and a recovery
//! code, when the second factor is lost.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

use super::{flow, json_response, request};
use crate::context::AppContext;
use crate::domain::Username;
use crate::error::ApiError;
use crate::secrets;

/// Checks the password by a core login (the body without `recoveryCode`), then
/// spends the recovery code and turns MFA off, once even under parallel requests.
pub(super) async fn recover(
    ctx: &AppContext,
    user: Username,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let mut body = request::json_body(&request)?;
    let recovery_code = request::string_field(&body, "recoveryCode")?.to_owned();
    request::string_field(&body, "password")?;
    let body_user = request::string_field(&body, "username")?;
    if Username::parse(body_user)? != user {
        return Err(ApiError::format(
            "The username of the body differs from the one of the path.",
        ));
    }
    flow::check_failure_backoff(ctx, &user).await?;

    if let Some(object) = body.as_object_mut() {
        object.remove("recoveryCode");
    }
    let login_body = Bytes::from(body.to_string());
    let answer = ctx.core.login(&user, login_body, request.headers()).await?;
    if !answer.is_success() {
        return Err(answer.into_refusal());
    }
    if ctx.store.profile(&user).await?.is_none() {
        return Err(ApiError::InvalidOperation(
            "MFA is not active for this user.".into(),
        ));
    }

    let hash = secrets::recovery_code_hash(&user, &recovery_code);
    if !ctx.store.redeem_recovery_code(&user, &hash).await? {
        flow::count_failure(ctx, &user).await?;
        return Err(ApiError::format("Unknown recovery code."));
    }
    Ok(json_response(
        StatusCode::OK,
        json!({ "message": "MFA deactivated." }),
    ))
}
