//! `POST /{username}/mfa/verify`: finishes an MFA login with the code.

use bytes::Bytes;
use http::{Request, Response};

use super::{flow, request};
use crate::context::AppContext;
use crate::core_client::CoreAnswer;
use crate::domain::{Code, Username};
use crate::error::ApiError;
use crate::store::Purpose;

/// Checks the code of a login session, spends the session (once, even under parallel
/// requests) and gives back the core's login answer it held.
pub(super) async fn verify(
    ctx: &AppContext,
    user: Username,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let open = flow::open_session(ctx, &request, &user, &[Purpose::Login]).await?;
    let code = Code::from_body(&request::json_body(&request)?)?;
    let data = flow::user_data(ctx, &open).await?;
    flow::check_code(ctx, &open, &data, &code).await?;

    if !ctx
        .store
        .consume_session(&open.session.id, ctx.now())
        .await?
    {
        return Err(flow::unknown_token());
    }
    let answer: CoreAnswer = open
        .token
        .open(&open.session.sealed)
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("sealed login answer unreadable")))?;
    Ok(answer.into_response())
}
