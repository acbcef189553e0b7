//! `POST /{username}/auth/login`: the core's login, with a second factor when the
//! user has MFA active.

use bytes::Bytes;
use http::{Request, Response};

use super::{flow, request};
use crate::context::AppContext;
use crate::domain::Username;
use crate::error::ApiError;
use crate::secrets::MfaToken;
use crate::store::Purpose;

/// Forwards the login to the core. MFA off: the core's answer, whole. MFA on: the
/// answer is kept sealed in a new session and only an mfaToken is given.
pub(super) async fn login(
    ctx: &AppContext,
    user: Username,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    // Checked, then passed on as sent: the core reads its own fields.
    request::json_object_body(&request)?;
    let answer = ctx
        .core
        .login(&user, request.body().clone(), request.headers())
        .await?;
    if !answer.is_success() {
        return Err(answer.into_refusal());
    }

    // Fails closed: without the user's MFA state, the core's token is never given.
    let Some(profile) = ctx.store.profile(&user).await? else {
        return Ok(answer.into_response());
    };

    let token = MfaToken::generate();
    let sealed = serde_json::to_vec(&answer).map_err(|e| ApiError::Unexpected(e.into()))?;
    let session = flow::new_session(ctx, &user, Purpose::Login, &token, &sealed);
    ctx.store.insert_session(&session).await?;
    if ctx.config.challenge_on_login {
        let data = flow::profile_data(ctx, &profile)?;
        flow::send_challenge(ctx, &token, &user, &data).await?;
    }
    Ok(flow::mfa_token_response(ctx, &token))
}
