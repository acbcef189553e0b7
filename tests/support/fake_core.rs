//! The fake Pryv core: its login and its access-info, as wiremock responders.
//!
//! Mounted by default (at a low priority, so that a test can mount its own answer over
//! them): a login with [`PASSWORD`] succeeds with [`login_body`] and [`SSO_COOKIE`],
//! any other password is refused with [`refusal_body`]; access-info calls a token
//! starting with `personal-` personal, one starting with `app-` an app token, and
//! refuses any other.

use serde_json::{json, Value};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The password the fake core accepts, for every user.
pub const PASSWORD: &str = "right-password";
/// The `Set-Cookie` of the fake core's successful login (Pryv's single sign-on).
pub const SSO_COOKIE: &str = "sso=test-sso-cookie; Path=/; HttpOnly";
/// Default mocks sit below any mock a test mounts (wiremock's default is 5).
pub(crate) const DEFAULT_PRIORITY: u8 = 10;
/// The path of a user's login at the core.
pub const LOGIN_PATH: &str = r"^/[a-z0-9-]+/auth/login$";
/// The path of a user's access-info at the core.
pub const ACCESS_INFO_PATH: &str = r"^/[a-z0-9-]+/access-info$";

/// The personal token the fake core's login gives `user`.
pub fn core_token(user: &str) -> String {
    format!("personal-core-token-of-{user}")
}

/// The fake core's login answer for `user`, as raw text: its irregular spacing and
/// key order show whether the service passes it on byte for byte.
pub fn login_body(user: &str) -> String {
    let token = core_token(user);
    format!(
        r#"{{ "token":"{token}",  "apiEndpoint": "https://{token}@{user}.pryv.me/", "preferredLanguage":"en" }}"#
    )
}

/// The fake core's refusal of a login, `meta` included.
pub fn refusal_body() -> Value {
    json!({
        "error": {
            "id": "invalid-credentials",
            "message": "The given username/password pair is invalid.",
            "meta": { "apiVersion": "1.9.3", "serverTime": 1_700_000_000.5 }
        }
    })
}

/// The fake core's refusal of an unknown token, `meta` included.
pub fn token_refusal_body() -> Value {
    json!({
        "error": {
            "id": "invalid-access-token",
            "message": "Cannot find access from token.",
            "meta": { "apiVersion": "1.9.3", "serverTime": 1_700_000_000.5 }
        }
    })
}

/// A login answer: success for the right password, the core's 401 otherwise.
struct Login;

impl Respond for Login {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let user = request
            .url
            .path_segments()
            .and_then(|mut segments| segments.next())
            .unwrap_or_default()
            .to_owned();
        let body: Value = request.body_json().unwrap_or(Value::Null);
        if body.get("password").and_then(Value::as_str) == Some(PASSWORD) {
            login_success(&user)
        } else {
            login_refusal()
        }
    }
}

/// The core's successful login of `user`: [`login_body`] and [`SSO_COOKIE`].
pub fn login_success(user: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("set-cookie", SSO_COOKIE)
        .set_body_raw(login_body(user), "application/json")
}

/// The core's refusal of a login: 401 with [`refusal_body`].
pub fn login_refusal() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(refusal_body())
}

/// The core's access-info for a token of type `kind` (`personal`, `app`, `shared`).
pub fn access_info(kind: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "type": kind, "name": "x" }))
}

/// The core's refusal of a token: 403 with [`token_refusal_body`].
pub fn access_refusal() -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(token_refusal_body())
}

/// An access-info answer by the token's prefix.
struct AccessInfo;

impl Respond for AccessInfo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let token = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if token.starts_with("personal-") {
            access_info("personal")
        } else if token.starts_with("app-") {
            access_info("app")
        } else {
            access_refusal()
        }
    }
}

/// Mounts the default behaviour.
pub(crate) async fn mount_defaults(core: &MockServer) {
    Mock::given(method("POST"))
        .and(path_regex(LOGIN_PATH))
        .respond_with(Login)
        .with_priority(DEFAULT_PRIORITY)
        .mount(core)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(ACCESS_INFO_PATH))
        .respond_with(AccessInfo)
        .with_priority(DEFAULT_PRIORITY)
        .mount(core)
        .await;
}
