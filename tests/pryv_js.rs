//! A real client: Pryv's JavaScript library (`pryv` on npm, pinned in
//! `tests/node/package.json`) logs in through the local MFA server with
//! `Service.login`, `Service.mfaChallenge` and `Service.mfaVerify`, run by
//! `tests/node/mfa-login.mjs` in a Node.js subprocess.
//!
//! The library takes an mfaToken only from a `200` answer (`mfaTokenStatus: 200`);
//! with the default `302` it stops at login, which the second test shows.
//!
//! Needs `tests/node/node_modules`: `scripts/install-node-deps.sh` (which
//! `scripts/test.sh` runs) installs it. Without it the tests fail, never skip.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use mfa_local::sandbox::{Sandbox, DEMO_PASSWORD, DEMO_PHONE, DEMO_USER};
use pryv_mfa::config::MfaTokenStatus;
use pryv_mfa::secrets::DataKey;
use pryv_mfa::store::MemoryStore;
use pryv_mfa::AppContext;
use serde_json::{json, Value};

/// How long the Node.js client may take, start-up included.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// The sandbox, the MFA server on it (with the chosen mfaToken status), and a URL
/// answering the latest code the sandbox's messaging endpoint received.
struct Setup {
    sandbox: Sandbox,
    service_url: String,
    code_url: String,
    client: reqwest::Client,
}

impl Setup {
    async fn start(status: MfaTokenStatus, challenge_on_login: bool) -> Self {
        let sandbox = Sandbox::start(false).await.expect("the sandbox starts");
        let mut config = sandbox.config();
        config.mfa_token_status = status;
        config.challenge_on_login = challenge_on_login;
        let ctx = AppContext::new(config, Arc::new(MemoryStore::new()), DataKey::generate())
            .expect("the sandbox configuration builds a context");
        let service = bind().await;
        let service_url = format!("http://{}", service.local_addr().expect("an address"));
        tokio::spawn(mfa_local::serve_on(service, Arc::new(ctx)));

        let codes = bind().await;
        let code_url = format!("http://{}/code", codes.local_addr().expect("an address"));
        let router = Router::new()
            .route("/code", get(latest_code))
            .with_state(sandbox.clone());
        tokio::spawn(async move { axum::serve(codes, router).await });

        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Self {
            sandbox,
            service_url,
            code_url,
            client,
        }
    }

    /// POSTs to the MFA server; returns the status and the JSON body.
    async fn post(&self, path: &str, auth: Option<&str>, body: Value) -> (u16, Value) {
        let url = format!("{}/{DEMO_USER}/{path}", self.service_url);
        let mut request = self.client.post(&url).json(&body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.expect("the MFA server answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Turns MFA on for the demo user, as its app would: login, activate, confirm.
    async fn activate_mfa(&self, token_status: u16) {
        let login = json!({ "username": DEMO_USER, "password": DEMO_PASSWORD, "appId": "setup" });
        let (status, body) = self.post("auth/login", None, login).await;
        assert_eq!(status, 200, "login before activation: {body}");
        let personal = body["token"].as_str().expect("a personal token");

        let data = json!({ "phone": DEMO_PHONE });
        let (status, body) = self.post("mfa/activate", Some(personal), data).await;
        assert_eq!(status, token_status, "activate: {body}");
        let mfa_token = body["mfaToken"].as_str().expect("an mfaToken");
        let code = self.sandbox.latest_code().expect("an activation code");
        let (status, body) = self
            .post("mfa/confirm", Some(mfa_token), json!({ "code": code }))
            .await;
        assert_eq!(status, 200, "confirm: {body}");
    }

    /// Whether the sandbox core knows `token` as a personal token it issued.
    async fn core_issued(&self, token: &str) -> bool {
        let url = format!("{}{DEMO_USER}/access-info", self.sandbox.core_url);
        let response = self
            .client
            .get(url)
            .header("authorization", token)
            .send()
            .await
            .expect("the sandbox core answers");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        body["type"] == "personal"
    }

    /// Runs the Node.js client; returns whether it succeeded and its JSON line.
    async fn run_client(&self, extra: &[&str]) -> (bool, Value) {
        let script = node_dir().join("mfa-login.mjs");
        let mut command = Command::new("node");
        command
            .arg(&script)
            .args([&self.service_url, DEMO_USER, DEMO_PASSWORD, &self.code_url])
            .args(extra)
            .current_dir(node_dir());
        let run = tokio::task::spawn_blocking(move || command.output());
        let output = tokio::time::timeout(CLIENT_TIMEOUT, run)
            .await
            .expect("the Node.js client ends in time")
            .expect("the client's thread")
            .unwrap_or_else(|e| panic!("running node (is Node.js installed?): {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let line = stdout.lines().rev().find(|l| l.starts_with('{'));
        let result = line
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| panic!("no JSON line from the client\n{stdout}\n{stderr}"));
        (output.status.success(), result)
    }
}

async fn bind() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port")
}

/// Stands in for the user reading the SMS.
async fn latest_code(State(sandbox): State<Sandbox>) -> Result<String, StatusCode> {
    sandbox.latest_code().ok_or(StatusCode::NOT_FOUND)
}

/// Fails, never skips, when the library is not installed.
fn require_node_modules() {
    let library = node_dir().join("node_modules").join("pryv");
    assert!(
        library.join("package.json").is_file(),
        "{} is missing: run scripts/install-node-deps.sh (scripts/test.sh does it)",
        library.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pryvs_js_library_completes_an_mfa_login_with_mfa_token_status_200() {
    require_node_modules();
    let setup = Setup::start(MfaTokenStatus::Ok, false).await;
    setup.activate_mfa(200).await;

    let (succeeded, result) = setup.run_client(&["--wrong-code-first"]).await;

    assert!(succeeded, "the client failed: {result}");
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["mfaStatus"], 200, "{result}");
    // The library surfaces the service's error for a wrong code.
    assert_eq!(
        result["wrongCode"],
        json!({ "status": 400, "id": "invalid-code" })
    );
    let token = result["token"].as_str().unwrap_or_default();
    assert!(
        setup.core_issued(token).await,
        "the connection's token is not one the core issued: {result}"
    );
    let endpoint = result["endpoint"].as_str().unwrap_or_default();
    assert_eq!(endpoint, format!("{}/{DEMO_USER}/", setup.service_url));
    // The login session is spent: its mfaToken opens nothing any more.
    let mfa_token = result["mfaToken"].as_str().expect("the client's mfaToken");
    let (status, body) = setup
        .post("mfa/challenge", Some(mfa_token), json!({}))
        .await;
    assert_eq!((status, &body["error"]["id"]), (403, &json!("forbidden")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pryvs_js_library_stops_at_login_when_the_mfa_token_comes_with_302() {
    require_node_modules();
    let setup = Setup::start(MfaTokenStatus::Found, false).await;
    setup.activate_mfa(302).await;

    let (succeeded, result) = setup.run_client(&[]).await;

    assert!(!succeeded, "the client should fail: {result}");
    assert_eq!(result["stage"], "login", "{result}");
    assert_eq!(result["status"], 302, "{result}");
}

/// The library's documented flow (login, then `mfaVerify` with the code received; no
/// `mfaChallenge`) works when the operator sets `challengeOnLogin`, as Pryv v2 does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pryvs_js_library_verifies_the_code_sent_at_login_with_challenge_on_login() {
    require_node_modules();
    let setup = Setup::start(MfaTokenStatus::Ok, true).await;
    setup.activate_mfa(200).await;

    let (succeeded, result) = setup.run_client(&["--code-sent-at-login"]).await;

    assert!(succeeded, "the client failed: {result}");
    let token = result["token"].as_str().unwrap_or_default();
    assert!(
        setup.core_issued(token).await,
        "the connection's token is not one the core issued: {result}"
    );
}
