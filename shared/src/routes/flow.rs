//! The steps the routes share: opening a session from its mfaToken, sending a
//! challenge within the limits, checking a code with its attempt and failure counts,
//! and answering with an mfaToken.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

use super::{json_response, request};
use crate::context::AppContext;
use crate::domain::{Code, UserData, Username};
use crate::error::ApiError;
use crate::modes::IssuedCode;
use crate::secrets::MfaToken;
use crate::store::{
    AttemptOutcome, CodeRecord, CounterOutcome, Profile, Purpose, SendOutcome, Session,
};

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// The one refusal for every mfaToken that opens nothing: unknown, expired, spent,
/// another user's or another purpose's, so that a caller learns nothing more.
pub(super) fn unknown_token() -> ApiError {
    ApiError::forbidden("Unknown, expired or spent mfaToken.")
}

/// A live session together with the token that opened it.
pub(super) struct OpenSession {
    pub token: MfaToken,
    pub session: Session,
}

/// Answers with a fresh mfaToken, in the status the operator chose.
pub(super) fn mfa_token_response(ctx: &AppContext, token: &MfaToken) -> Response<Bytes> {
    let status =
        StatusCode::from_u16(ctx.config.mfa_token_status.as_u16()).unwrap_or(StatusCode::FOUND);
    json_response(status, json!({ "mfaToken": token.expose() }))
}

/// A new session of `user`, its payload sealed under the token.
pub(super) fn new_session(
    ctx: &AppContext,
    user: &Username,
    purpose: Purpose,
    token: &MfaToken,
    payload: &[u8],
) -> Session {
    Session {
        id: token.session_id(),
        username: user.clone(),
        purpose,
        sealed: token.seal(payload),
        expires_at: ctx.now() + ctx.config.sessions.ttl.as_secs(),
        code_digest: None,
        code_expires_at: None,
        attempts: 0,
        last_send_at: None,
    }
}

/// The live session of the request's mfaToken, which must be `user`'s and for one of
/// `purposes`: anything else is `forbidden`, with one message for all cases so that a
/// caller learns nothing about other users' sessions.
pub(super) async fn open_session(
    ctx: &AppContext,
    http_request: &Request<Bytes>,
    user: &Username,
    purposes: &[Purpose],
) -> Result<OpenSession, ApiError> {
    let token = MfaToken::from_client(&request::token(http_request)?);
    open_session_of(ctx, token, user, purposes).await
}

/// [`open_session`] for a token given otherwise than in the Authorization.
pub(super) async fn open_session_of(
    ctx: &AppContext,
    token: MfaToken,
    user: &Username,
    purposes: &[Purpose],
) -> Result<OpenSession, ApiError> {
    let session = ctx
        .store
        .session(&token.session_id(), ctx.now())
        .await?
        .filter(|s| &s.username == user && purposes.contains(&s.purpose))
        .ok_or_else(unknown_token)?;
    Ok(OpenSession { token, session })
}

/// The user's MFA data for a session: sealed in an activation session, in the
/// user's profile for a login.
pub(super) async fn user_data(ctx: &AppContext, open: &OpenSession) -> Result<UserData, ApiError> {
    match open.session.purpose {
        Purpose::Activation => {
            let plain = open.token.open(&open.session.sealed).ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!("sealed activation data unreadable"))
            })?;
            parse_data(&plain)
        }
        Purpose::Login => {
            let profile = ctx
                .store
                .profile(&open.session.username)
                .await?
                .ok_or_else(|| ApiError::forbidden("MFA is no longer active for this user."))?;
            profile_data(ctx, &profile)
        }
    }
}

/// The user's MFA data kept in an active profile.
pub(super) fn profile_data(ctx: &AppContext, profile: &Profile) -> Result<UserData, ApiError> {
    let plain = ctx
        .data_key
        .open(&profile.sealed_data)
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("sealed MFA data unreadable")))?;
    parse_data(&plain)
}

fn parse_data(plain: &[u8]) -> Result<UserData, ApiError> {
    // serde_json's message may quote a value: only its category goes in the cause.
    serde_json::from_slice(plain).map_err(|e| {
        ApiError::Unexpected(anyhow::anyhow!(
            "stored MFA data unreadable ({:?})",
            e.classify()
        ))
    })
}

/// The value that names where messages go (a phone number, an e-mail address), for
/// the allow-list and the per-destination limit.
// Known limit: templates name their variables freely, so the destination is the first
// of the usual names; user data with none of them is limited as a whole.
pub(super) fn destination(data: &UserData) -> String {
    const NAMES: [&str; 8] = [
        "phone",
        "number",
        "phone_number",
        "phoneNumber",
        "mobile",
        "email",
        "to",
        "destination",
    ];
    NAMES
        .iter()
        .find_map(|name| data.get(name))
        .map_or_else(|| data.to_json(), str::to_owned)
}

/// Refuses, at activation, a destination outside the operator's allow-list.
pub(super) fn check_destination_allowed(ctx: &AppContext, data: &UserData) -> Result<(), ApiError> {
    let prefixes = &ctx.config.limits.destination_prefixes;
    if prefixes.is_empty() {
        return Ok(());
    }
    let destination = destination(data);
    if prefixes.iter().any(|p| destination.starts_with(p.as_str())) {
        Ok(())
    } else {
        Err(ApiError::format(
            "The destination number is not allowed by this service.",
        ))
    }
}

/// Sends a challenge for a session within the limits: the session's interval, the
/// user's hourly sends and the destination's daily sends. A refused send sends
/// nothing and leaves the session's code as it was: the code the user already
/// received stays valid.
pub(super) async fn send_challenge(
    ctx: &AppContext,
    token: &MfaToken,
    user: &Username,
    data: &UserData,
) -> Result<(), ApiError> {
    let now = ctx.now();
    let limits = &ctx.config.limits;
    let session_id = token.session_id();
    // The interval is checked (and the send time taken) without a new code: the code
    // is replaced only once every limit let the send through.
    record_send(ctx, &session_id, now, limits.send_interval.as_secs(), None).await?;
    let user_key = format!("sends-user#{user}#{}", now / HOUR);
    count(
        ctx,
        &user_key,
        limits.sends_per_user_per_hour,
        HOUR,
        "Too many codes sent to this user.",
    )
    .await?;
    let digest = ctx.data_key.destination_digest(&destination(data));
    let destination_key = format!("sends-destination#{digest}#{}", now / DAY);
    count(
        ctx,
        &destination_key,
        limits.sends_per_destination_per_day,
        DAY,
        "Too many codes sent to this destination.",
    )
    .await?;
    let code = ctx.messenger.new_code();
    if let Some(code) = &code {
        let record = CodeRecord {
            digest: token.code_digest(code.expose()),
            expires_at: now + ctx.config.code.ttl.as_secs(),
        };
        record_send(ctx, &session_id, now, 0, Some(record)).await?;
    }
    ctx.messenger.send(data, code.as_ref()).await?;
    Ok(())
}

/// Records a send on a live session at least `interval` seconds after the previous
/// one, replacing its code when one is given.
async fn record_send(
    ctx: &AppContext,
    session_id: &str,
    now: u64,
    interval: u64,
    code: Option<CodeRecord>,
) -> Result<(), ApiError> {
    match ctx
        .store
        .record_send(session_id, now, interval, code)
        .await?
    {
        SendOutcome::Recorded => Ok(()),
        SendOutcome::TooSoon { retry_after } => {
            Err(too_many(retry_after, "A code was sent moments ago."))
        }
        SendOutcome::SessionGone => Err(unknown_token()),
    }
}

/// Counts one event against a windowed limit (0 turns it off).
// Known limit: windows are fixed (the clock hour, the UTC day), not sliding, so a
// burst across a boundary can reach twice a limit; one counter item per window keeps
// each count a single conditional write.
async fn count(
    ctx: &AppContext,
    key: &str,
    limit: u32,
    window: u64,
    message: &str,
) -> Result<(), ApiError> {
    if limit == 0 {
        return Ok(());
    }
    let now = ctx.now();
    let window_end = window_end(now, window);
    match ctx
        .store
        .increment_counter(key, limit, window_end, now)
        .await?
    {
        CounterOutcome::Counted(_) => Ok(()),
        CounterOutcome::LimitReached => Err(too_many(window_end - now, message)),
    }
}

/// The end of the `window`-second window holding `now` (windows start at the epoch).
fn window_end(now: u64, window: u64) -> u64 {
    (now / window + 1) * window
}

fn too_many(retry_after_seconds: u64, message: &str) -> ApiError {
    ApiError::TooManyRequests {
        retry_after_seconds: retry_after_seconds.max(1),
        message: message.to_owned(),
    }
}

fn failures_key(user: &Username, now: u64) -> String {
    format!("failures#{user}#{}", now / HOUR)
}

/// Refuses with 429 while the user has failed too many codes this hour.
// Known limit: the backoff is flat, until the hour's window ends, not growing with
// each failure.
pub(super) async fn check_failure_backoff(
    ctx: &AppContext,
    user: &Username,
) -> Result<(), ApiError> {
    let limit = ctx.config.limits.failures_per_user_per_hour;
    if limit == 0 {
        return Ok(());
    }
    let now = ctx.now();
    if ctx.store.counter(&failures_key(user, now), now).await? >= limit {
        return Err(too_many(
            window_end(now, HOUR) - now,
            "Too many failed codes for this user: retry later.",
        ));
    }
    Ok(())
}

/// Counts a failed code (or recovery code) of the user.
pub(super) async fn count_failure(ctx: &AppContext, user: &Username) -> Result<(), ApiError> {
    let limit = ctx.config.limits.failures_per_user_per_hour;
    if limit == 0 {
        return Ok(());
    }
    let now = ctx.now();
    ctx.store
        .increment_counter(&failures_key(user, now), limit, window_end(now, HOUR), now)
        .await?;
    Ok(())
}

/// Checks a code on a session: the user's backoff first, then one attempt reserved
/// on the session (so that parallel guesses are all counted), then the mode's check.
pub(super) async fn check_code(
    ctx: &AppContext,
    open: &OpenSession,
    data: &UserData,
    code: &Code,
) -> Result<(), ApiError> {
    let user = &open.session.username;
    check_failure_backoff(ctx, user).await?;
    let now = ctx.now();
    let max = ctx.config.limits.attempts_per_session;
    match ctx.store.take_attempt(&open.session.id, max, now).await? {
        AttemptOutcome::Granted => {}
        AttemptOutcome::Exhausted => {
            return Err(ApiError::forbidden(
                "Too many wrong codes: this mfaToken is no longer valid.",
            ))
        }
        AttemptOutcome::SessionGone => return Err(unknown_token()),
    }
    let issued = match (&open.session.code_digest, open.session.code_expires_at) {
        (Some(digest), Some(expires_at)) => Some(IssuedCode {
            token: &open.token,
            digest,
            expires_at,
            now,
        }),
        _ => None,
    };
    // Known limit: the attempt is reserved before the check, so a provider failure
    // during the check still costs one; giving it back could not be made atomic with
    // a parallel guess.
    let result = ctx.messenger.check(data, code, issued).await;
    if let Err(crate::modes::ModeError::InvalidCode) = &result {
        count_failure(ctx, user).await?;
    }
    result.map_err(ApiError::from)
}
