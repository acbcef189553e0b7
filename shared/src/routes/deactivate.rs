//! `POST /{username}/mfa/deactivate`: turns MFA off with a personal token, and,
//! where the operator asks for it, a step-up proof.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::{json, Value};

use super::{flow, json_response, request};
use crate::context::AppContext;
use crate::domain::{Code, Username};
use crate::error::ApiError;
use crate::secrets::MfaToken;
use crate::store::Purpose;

/// The appId of the core login that checks a step-up password.
const STEP_UP_APP_ID: &str = "pryv-mfa-step-up";

/// Checks the personal token with the core (and the step-up proof when
/// `deactivate.requireStepUp` is on) and turns MFA off. Turning off MFA that is not
/// on succeeds too: the user's wish holds either way.
pub(super) async fn deactivate(
    ctx: &AppContext,
    user: Username,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let personal_token = request::token(&request)?;
    let body = request::json_body(&request)?;
    ctx.core
        .check_personal_token(&user, &personal_token)
        .await?;
    if ctx.config.deactivate.require_step_up {
        step_up(ctx, &user, &request, &body).await?;
    }

    ctx.store.delete_profile(&user).await?;
    Ok(json_response(
        StatusCode::OK,
        json!({ "message": "MFA deactivated." }),
    ))
}

/// The second proof: the account password (checked by a core login), or a current
/// code with the mfaToken of a login session (which it spends).
async fn step_up(
    ctx: &AppContext,
    user: &Username,
    request: &Request<Bytes>,
    body: &Value,
) -> Result<(), ApiError> {
    if body.get("password").is_some() {
        let password = request::string_field(body, "password")?;
        let app_id = body
            .get("appId")
            .and_then(Value::as_str)
            .unwrap_or(STEP_UP_APP_ID);
        let login = json!({ "username": user.as_str(), "password": password, "appId": app_id });
        let answer = ctx
            .core
            .login(user, Bytes::from(login.to_string()), request.headers())
            .await?;
        return if answer.is_success() {
            Ok(())
        } else {
            Err(answer.into_refusal())
        };
    }
    if body.get("mfaToken").is_some() {
        let token = MfaToken::from_client(request::string_field(body, "mfaToken")?);
        let code = Code::from_body(body)?;
        let open = flow::open_session_of(ctx, token, user, &[Purpose::Login]).await?;
        let data = flow::user_data(ctx, &open).await?;
        flow::check_code(ctx, &open, &data, &code).await?;
        ctx.store
            .consume_session(&open.session.id, ctx.now())
            .await?;
        return Ok(());
    }
    Err(ApiError::structure(
        "Deactivation needs a second proof here: 'password', or 'mfaToken' with 'code'.",
    ))
}
