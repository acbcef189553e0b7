//! One function per route, each taking the [`AppContext`] and an `http` request and
//! returning an `http` response: the Lambda functions, the local server and the tests
//! all call these same functions.
//!
//! Every answer, errors and preflight included, carries the CORS headers, and every
//! request ends with one log line (route, status, duration, error id) and nothing else
//! about the request.

mod activate;
mod challenge;
mod confirm;
mod deactivate;
mod flow;
mod login;
mod recover;
mod request;
mod verify;

use std::time::Instant;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

use crate::context::AppContext;
use crate::error::ApiError;

pub use request::PathUsername;

/// The largest request body accepted; MFA bodies are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The seven routes of the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/{username}/auth/login` (alias `/{username}/login`).
    Login,
    /// `/{username}/mfa/activate`.
    Activate,
    /// `/{username}/mfa/confirm`.
    Confirm,
    /// `/{username}/mfa/challenge`.
    Challenge,
    /// `/{username}/mfa/verify`.
    Verify,
    /// `/{username}/mfa/deactivate`.
    Deactivate,
    /// `/{username}/mfa/recover`.
    Recover,
}

impl Route {
    /// Every route.
    pub const ALL: [Route; 7] = [
        Route::Login,
        Route::Activate,
        Route::Confirm,
        Route::Challenge,
        Route::Verify,
        Route::Deactivate,
        Route::Recover,
    ];

    /// The route's name, as in logs and function names.
    pub fn name(self) -> &'static str {
        match self {
            Route::Login => "login",
            Route::Activate => "activate",
            Route::Confirm => "confirm",
            Route::Challenge => "challenge",
            Route::Verify => "verify",
            Route::Deactivate => "deactivate",
            Route::Recover => "recover",
        }
    }

    /// The path segments that end the route's path, after the username.
    fn suffixes(self) -> &'static [&'static [&'static str]] {
        match self {
            Route::Login => &[&["auth", "login"], &["login"]],
            Route::Activate => &[&["mfa", "activate"]],
            Route::Confirm => &[&["mfa", "confirm"]],
            Route::Challenge => &[&["mfa", "challenge"]],
            Route::Verify => &[&["mfa", "verify"]],
            Route::Deactivate => &[&["mfa", "deactivate"]],
            Route::Recover => &[&["mfa", "recover"]],
        }
    }

    /// The route a path ends with (any stage prefix or username before it).
    pub fn for_path(path: &str) -> Option<Route> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        Route::ALL
            .into_iter()
            .find(|route| request::match_suffix(&segments, route.suffixes()).is_some())
    }
}

/// Answers one request for `route`: the entry point of every Lambda function and of
/// the local server.
pub async fn handle(ctx: &AppContext, route: Route, request: Request<Bytes>) -> Response<Bytes> {
    let started = Instant::now();
    let origin = request.headers().get(header::ORIGIN).cloned();
    let outcome = if request.method() == Method::OPTIONS {
        Ok(preflight())
    } else if request.method() != Method::POST {
        Err(ApiError::structure("Only POST is accepted on this route."))
    } else {
        dispatch(ctx, route, request).await
    };
    finish(route, origin, started, outcome)
}

/// Answers a request whose body went over [`MAX_BODY_BYTES`] before it was read
/// whole (the local server reads bodies bounded).
pub fn refuse_oversized_body(route: Route, headers: &HeaderMap) -> Response<Bytes> {
    let origin = headers.get(header::ORIGIN).cloned();
    finish(route, origin, Instant::now(), Err(body_too_large()))
}

fn body_too_large() -> ApiError {
    ApiError::structure(format!(
        "The request body is too large: at most {MAX_BODY_BYTES} bytes."
    ))
}

/// Renders the outcome with CORS headers and writes the request's one log line.
fn finish(
    route: Route,
    origin: Option<HeaderValue>,
    started: Instant,
    outcome: Result<Response<Bytes>, ApiError>,
) -> Response<Bytes> {
    let error_id = outcome.as_ref().err().and_then(ApiError::id);
    if let Err(ApiError::Unexpected(cause)) = &outcome {
        tracing::error!(route = route.name(), error.cause_chain = ?cause, "unexpected error");
    }
    let mut response = outcome.unwrap_or_else(ApiError::into_response);
    add_cors(response.headers_mut(), origin);
    tracing::info!(
        route = route.name(),
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        error_id,
        "request"
    );
    response
}

async fn dispatch(
    ctx: &AppContext,
    route: Route,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    if request.body().len() > MAX_BODY_BYTES {
        return Err(body_too_large());
    }
    let username = request::username(&request, route.suffixes())?;
    match route {
        Route::Login => login::login(ctx, username, request).await,
        Route::Activate => activate::activate(ctx, username, request).await,
        Route::Confirm => confirm::confirm(ctx, username, request).await,
        Route::Challenge => challenge::challenge(ctx, username, request).await,
        Route::Verify => verify::verify(ctx, username, request).await,
        Route::Deactivate => deactivate::deactivate(ctx, username, request).await,
        Route::Recover => recover::recover(ctx, username, request).await,
    }
}

fn preflight() -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::OK;
    response
}

/// CORS as Pryv's API does it: the caller's origin is echoed with credentials
/// allowed (cookies for single sign-on), any origin otherwise.
fn add_cors(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    match origin {
        Some(origin) => {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
            headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        }
        None => {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type, origin, referer"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
}

/// A JSON answer with a status.
fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
