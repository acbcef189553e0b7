//! Every MFA route on one local HTTP listener (axum), calling the same route functions
//! as the Lambda functions, plus the development sandbox.
//!
//! - [`router`]: the routes, by path suffix, as API Gateway would bind them.
//! - [`sandbox`]: a Pryv core stand-in and a messaging endpoint that prints each
//!   message, on loopback. For development only: no Lambda binary contains it.
//! - [`demo`]: the whole MFA flow, run against a local server, printing each step.

pub mod demo;
pub mod sandbox;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http::StatusCode;
use pryv_mfa::routes::{self, Route, MAX_BODY_BYTES};
use pryv_mfa::AppContext;

/// The router serving every route of the service.
pub fn router(ctx: Arc<AppContext>) -> Router {
    Router::new().fallback(serve).with_state(ctx)
}

/// Finds the route by the path's end, reads the body (bounded), and hands over to the
/// route function.
async fn serve(State(ctx): State<Arc<AppContext>>, request: Request) -> Response {
    let Some(route) = Route::for_path(request.uri().path()) else {
        return not_found();
    };
    let (parts, body) = request.into_parts();
    let response = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => routes::handle(&ctx, route, http::Request::from_parts(parts, body)).await,
        Err(_) => routes::refuse_oversized_body(route, &parts.headers),
    };
    response.map(Body::from).into_response()
}

fn not_found() -> Response {
    let body = serde_json::json!({
        "error": { "id": "unknown-resource", "message": "No such route." }
    });
    (
        StatusCode::NOT_FOUND,
        [(http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Serves `router` on an already bound listener until the process ends.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    ctx: Arc<AppContext>,
) -> std::io::Result<()> {
    axum::serve(listener, router(ctx)).await
}
