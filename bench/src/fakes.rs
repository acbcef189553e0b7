//! Upstream fakes that answer at once, on one loopback port, for the request-overhead
//! benchmark: a Pryv core (login, access-info) and a challenge-verify provider. One
//! port, so that one load-tool run can also call them straight, as the baseline.

use std::net::SocketAddr;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// The password every fake user has.
pub const PASSWORD: &str = "bench-password";

/// The fakes' path of the provider's challenge call.
pub const CHALLENGE_PATH: &str = "/provider/challenge";
/// The fakes' path of the provider's verify call.
pub const VERIFY_PATH: &str = "/provider/verify";

/// Starts the fakes on a free loopback port; they run until the process ends.
pub async fn start() -> std::io::Result<SocketAddr> {
    let router = Router::new()
        .route("/{username}/auth/login", post(login))
        .route("/{username}/access-info", get(access_info))
        .route(CHALLENGE_PATH, post(|| async { Json(json!({})) }))
        .route(VERIFY_PATH, post(|| async { StatusCode::NO_CONTENT }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(addr)
}

/// The core's login: any user with [`PASSWORD`] gets a fixed personal token.
async fn login(Path(username): Path<String>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    if body.get("password").and_then(Value::as_str) != Some(PASSWORD) {
        let error = json!({ "error": { "id": "invalid-credentials", "message": "no" } });
        return (StatusCode::UNAUTHORIZED, Json(error));
    }
    let body = json!({
        "token": "ckbenchpersonaltoken0000",
        "apiEndpoint": format!("https://ckbenchpersonaltoken0000@core.invalid/{username}/"),
    });
    (StatusCode::OK, Json(body))
}

/// Every token is a personal one.
async fn access_info() -> Json<Value> {
    Json(json!({ "type": "personal", "name": "bench" }))
}
