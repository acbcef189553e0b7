//! The development sandbox: a Pryv core stand-in with one demo user, and a messaging
//! endpoint that prints each message it receives, so the code can be read in the
//! terminal. Both listen on loopback ports of their own.
//!
//! DEVELOPMENT ONLY: it accepts a fixed password and prints codes. It lives in the
//! local server's crate, which no Lambda function depends on.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pryv_mfa::config::{Config, ModeConfig};
use pryv_mfa::secrets::MfaToken;
use pryv_mfa::templates::{Endpoint, Template};
use serde_json::{json, Value};

/// The sandbox core's one user.
pub const DEMO_USER: &str = "demo-user";
/// Its password.
pub const DEMO_PASSWORD: &str = "demo-password";
/// The MFA data the demo activates with.
pub const DEMO_PHONE: &str = "+41791231212";

/// The sandbox's state, shared by its two listeners.
#[derive(Default)]
struct Shared {
    personal_tokens: Mutex<HashSet<String>>,
    messages: Mutex<Vec<Value>>,
    print: bool,
}

/// A running sandbox.
#[derive(Clone)]
pub struct Sandbox {
    /// The core stand-in's base URL.
    pub core_url: url::Url,
    /// The messaging endpoint's URL.
    pub messaging_url: url::Url,
    shared: Arc<Shared>,
}

impl Sandbox {
    /// Starts both listeners on free loopback ports; `print` writes each message to
    /// the terminal.
    pub async fn start(print: bool) -> std::io::Result<Self> {
        Self::start_on(print, 0, 0).await
    }

    /// Starts the core stand-in on `core_port` and the messaging endpoint on
    /// `messaging_port` of 127.0.0.1, each on a free port instead when its own is
    /// taken (or 0).
    pub async fn start_on(
        print: bool,
        core_port: u16,
        messaging_port: u16,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            print,
            ..Shared::default()
        });
        let core = Router::new()
            .route("/{username}/auth/login", post(core_login))
            .route("/{username}/access-info", get(core_access_info))
            .with_state(Arc::clone(&shared));
        let messaging = Router::new()
            .route("/messages", post(receive_message))
            .with_state(Arc::clone(&shared));
        let core_addr = spawn(core, core_port).await?;
        let messaging_addr = spawn(messaging, messaging_port).await?;
        Ok(Self {
            core_url: loopback_url(core_addr, "/"),
            messaging_url: loopback_url(messaging_addr, "/messages"),
            shared,
        })
    }

    /// The embedded configuration pointed at this sandbox: single mode, the code
    /// sent to the messaging endpoint as JSON.
    pub fn config(&self) -> Config {
        let mut config = Config::embedded_default();
        config.core_url = Some(self.core_url.clone());
        config.mode = ModeConfig::Single {
            single: Endpoint {
                url: template(self.messaging_url.as_str()),
                method: http::Method::POST,
                body: Some(template(
                    r#"{"destination":"{{ phone }}","message":"Your Pryv MFA code is {{ code }}"}"#,
                )),
                headers: vec![(header::CONTENT_TYPE, template("application/json"))],
                success: None,
            },
        };
        config
    }

    /// The code in the latest message received, for the demo.
    pub fn latest_code(&self) -> Option<String> {
        let messages = self.shared.messages.lock().ok()?;
        let text = messages.last()?.get("message")?.as_str()?;
        let code: String = text.chars().filter(char::is_ascii_digit).collect();
        (!code.is_empty()).then_some(code)
    }
}

fn template(source: &str) -> Template {
    Template::parse(source).unwrap_or_else(|e| panic!("sandbox template is valid: {e}"))
}

fn loopback_url(addr: SocketAddr, path: &str) -> url::Url {
    url::Url::parse(&format!("http://{addr}{path}")).unwrap_or_else(|e| panic!("loopback URL: {e}"))
}

async fn spawn(router: Router, port: u16) -> std::io::Result<SocketAddr> {
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(_) => tokio::net::TcpListener::bind("127.0.0.1:0").await?,
    };
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(addr)
}

fn pryv_error(status: StatusCode, id: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "id": id, "message": message } })),
    )
        .into_response()
}

async fn core_login(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return pryv_error(
            StatusCode::BAD_REQUEST,
            "invalid-request-structure",
            "The request body is not valid JSON.",
        );
    };
    let password_ok = body.get("password").and_then(Value::as_str) == Some(DEMO_PASSWORD);
    if username != DEMO_USER || !password_ok {
        return pryv_error(
            StatusCode::UNAUTHORIZED,
            "invalid-credentials",
            "The given username/password pair is invalid.",
        );
    }
    let token = MfaToken::generate().expose().to_owned();
    if let Ok(mut tokens) = shared.personal_tokens.lock() {
        tokens.insert(token.clone());
    }
    let body = json!({
        "token": token,
        "apiEndpoint": format!("https://{token}@sandbox.invalid/{username}/"),
        "preferredLanguage": "en",
    });
    (
        [(header::SET_COOKIE, "sso=sandbox; Path=/; HttpOnly")],
        Json(body),
    )
        .into_response()
}

async fn core_access_info(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let known = shared
        .personal_tokens
        .lock()
        .map(|tokens| tokens.contains(token))
        .unwrap_or(false);
    if known {
        Json(json!({ "type": "personal", "name": "sandbox" })).into_response()
    } else {
        pryv_error(
            StatusCode::FORBIDDEN,
            "invalid-access-token",
            "Cannot find access from token.",
        )
    }
}

async fn receive_message(
    State(shared): State<Arc<Shared>>,
    Json(message): Json<Value>,
) -> StatusCode {
    if shared.print {
        println!("[sandbox messaging, development only] received: {message}");
    }
    if let Ok(mut messages) = shared.messages.lock() {
        messages.push(message);
    }
    StatusCode::OK
}
