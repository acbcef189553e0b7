//! The adapter between API Gateway (through `lambda_http`) and the routes: what
//! every Lambda function's `main` calls, so that each main stays one line.
//!
//! Both payload formats (REST API v1, HTTP API v2) arrive as the same `lambda_http`
//! request; the route's username comes from the event's path parameters when it has
//! them.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use lambda_http::{service_fn, Body, RequestExt};

use crate::context::AppContext;
use crate::routes::{self, PathUsername, Route};

/// Runs one route as a Lambda function: builds the context once (a bad
/// configuration stops the start with the field's name), then answers events.
pub async fn run(route: Route) -> Result<(), lambda_http::Error> {
    crate::logging::init_lambda();
    // Known limit: a context that cannot be built ends the process before the runtime
    // client starts, so Lambda sees a failed init without an `init/error` report.
    let ctx = match AppContext::from_lambda_env().await {
        Ok(ctx) => Arc::new(ctx),
        Err(error) => {
            tracing::error!(route = route.name(), error = %error, "cannot start");
            return Err(error.into());
        }
    };
    ctx.log_start(route.name());
    lambda_http::run(service_fn(move |event: lambda_http::Request| {
        let ctx = Arc::clone(&ctx);
        async move { Ok::<_, Infallible>(answer(&ctx, route, event).await) }
    }))
    .await
}

/// Answers one API Gateway event.
pub async fn answer(
    ctx: &AppContext,
    route: Route,
    event: lambda_http::Request,
) -> lambda_http::Response<Body> {
    let response = routes::handle(ctx, route, into_route_request(event)).await;
    into_lambda_response(response)
}

/// The event as the routes take it.
pub fn into_route_request(event: lambda_http::Request) -> http::Request<Bytes> {
    let username = event
        .path_parameters_ref()
        .and_then(|params| params.first("username"))
        .map(|name| PathUsername(name.to_owned()));
    let (parts, body) = event.into_parts();
    let mut request = http::Request::from_parts(parts, Bytes::copy_from_slice(body.as_ref()));
    if let Some(username) = username {
        request.extensions_mut().insert(username);
    }
    request
}

/// A route's response as `lambda_http` sends it: text when it is UTF-8 (API Gateway
/// would otherwise base64 it), `Set-Cookie` headers included.
pub fn into_lambda_response(response: http::Response<Bytes>) -> lambda_http::Response<Body> {
    let (parts, body) = response.into_parts();
    let body = if body.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(body.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(bytes) => Body::Binary(bytes.into_bytes()),
        }
    };
    lambda_http::Response::from_parts(parts, body)
}
