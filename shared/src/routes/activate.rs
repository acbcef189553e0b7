//! `POST /{username}/mfa/activate`: starts MFA for a logged-in user.

use bytes::Bytes;
use http::{Request, Response};

use super::{flow, request};
use crate::context::AppContext;
use crate::domain::{UserData, Username};
use crate::error::ApiError;
use crate::secrets::MfaToken;
use crate::store::Purpose;

/// Checks the personal token and the user's MFA data, opens an activation session
/// holding the data, and sends the first challenge.
pub(super) async fn activate(
    ctx: &AppContext,
    user: Username,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    // The token first: the data's errors name the templates' variables, which only
    // the user may learn.
    let personal_token = request::token(&request)?;
    ctx.core
        .check_personal_token(&user, &personal_token)
        .await?;
    let data = UserData::parse(&request::json_body(&request)?)?;
    ctx.messenger.check_user_data(&data)?;
    flow::check_destination_allowed(ctx, &data)?;
    if ctx.store.profile(&user).await?.is_some() {
        return Err(ApiError::InvalidOperation(
            "MFA is already active for this user: deactivate it first.".into(),
        ));
    }

    let token = MfaToken::generate();
    let session = flow::new_session(
        ctx,
        &user,
        Purpose::Activation,
        &token,
        data.to_json().as_bytes(),
    );
    ctx.store.insert_session(&session).await?;
    flow::send_challenge(ctx, &token, &user, &data).await?;
    Ok(flow::mfa_token_response(ctx, &token))
}
