//! `POST /{username}/mfa/confirm`: finishes an activation with the first code.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

use super::{flow, json_response, request};
use crate::context::AppContext;
use crate::domain::{Code, Username};
use crate::error::ApiError;
use crate::secrets;
use crate::store::{ConfirmOutcome, Profile, Purpose};

/// How many recovery codes a user receives.
const RECOVERY_CODES: usize = 10;

/// Checks the code of an activation session, then saves the MFA data as active with
/// fresh recovery codes, in one atomic step with spending the session.
pub(super) async fn confirm(
    ctx: &AppContext,
    user: Username,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let open = flow::open_session(ctx, &request, &user, &[Purpose::Activation]).await?;
    let code = Code::from_body(&request::json_body(&request)?)?;
    let data = flow::user_data(ctx, &open).await?;
    flow::check_code(ctx, &open, &data, &code).await?;

    let recovery_codes = secrets::generate_recovery_codes(RECOVERY_CODES);
    let profile = Profile {
        sealed_data: ctx.data_key.seal(data.to_json().as_bytes()),
        recovery_hashes: recovery_codes
            .iter()
            .map(|c| secrets::recovery_code_hash(&user, c))
            .collect(),
        activated_at: ctx.now(),
    };
    match ctx
        .store
        .confirm_activation(&open.session.id, &user, &profile, ctx.now())
        .await?
    {
        ConfirmOutcome::Activated => Ok(json_response(
            StatusCode::OK,
            json!({ "recoveryCodes": recovery_codes }),
        )),
        ConfirmOutcome::SessionGone => Err(flow::unknown_token()),
        ConfirmOutcome::AlreadyActive => Err(ApiError::InvalidOperation(
            "MFA is already active for this user.".into(),
        )),
    }
}
