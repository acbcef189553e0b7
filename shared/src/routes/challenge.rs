//! `POST /{username}/mfa/challenge`: sends (again) a code for a pending session.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

use super::{flow, json_response};
use crate::context::AppContext;
use crate::domain::Username;
use crate::error::ApiError;
use crate::store::Purpose;

/// Sends a challenge for the mfaToken's session, activation or login.
pub(super) async fn challenge(
    ctx: &AppContext,
    user: Username,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let open =
        flow::open_session(ctx, &request, &user, &[Purpose::Login, Purpose::Activation]).await?;
    let data = flow::user_data(ctx, &open).await?;

    flow::send_challenge(ctx, &open.token, &user, &data).await?;
    Ok(json_response(
        StatusCode::OK,
        json!({ "message": "Please verify the MFA challenge." }),
    ))
}
