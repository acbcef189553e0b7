//! Log hygiene: complete MFA flows in both modes, with every log line captured (the
//! service's own at `trace`, its libraries' at `info` as deployed), must not show any
//! token, code, recovery code, phone number, user value, password or header value.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use mfa_local::sandbox::{Sandbox, DEMO_PASSWORD, DEMO_USER};
use pryv_mfa::config::{Config, ModeConfig};
use pryv_mfa::secrets::DataKey;
use pryv_mfa::store::MemoryStore;
use pryv_mfa::templates::{Endpoint, Template};
use pryv_mfa::AppContext;
use serde_json::{json, Value};
use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PHONE: &str = "+41799990001";
const MESSAGE: &str = "Hello from the log test, your code: {{ code }}";
const PROVIDER_KEY: &str = "Bearer: provider-secret-key-77";
const ORIGIN: &str = "https://trusted-app.example";
const PROVIDER_CODE: &str = "8675309";

/// Every line written by the process's subscriber.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("capture lock")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        tracing_subscriber::fmt()
            .json()
            .with_env_filter("info,pryv_mfa=trace,mfa_local=trace")
            .with_writer(capture.clone())
            .init();
        capture
    })
}

/// What the flow saw that must never reach a log.
#[derive(Default)]
struct Secrets(Vec<String>);

impl Secrets {
    fn keep(&mut self, value: &str) {
        if value.len() >= 4 {
            self.0.push(value.to_owned());
        }
    }

    /// Keeps the secrets an answer carries: tokens, the API endpoint (it embeds a
    /// token) and recovery codes.
    fn keep_answer(&mut self, body: &Value) {
        for field in ["token", "mfaToken", "apiEndpoint"] {
            if let Some(text) = body[field].as_str() {
                self.keep(text);
            }
        }
        for code in body["recoveryCodes"].as_array().into_iter().flatten() {
            self.keep(code.as_str().unwrap_or_default());
        }
    }

    fn assert_absent_from(&self, logs: &str) {
        assert!(!logs.is_empty(), "the capture saw no log line at all");
        for secret in &self.0 {
            assert!(
                !logs.contains(secret.as_str()),
                "a log line holds a secret value ({} chars, starting {:?})",
                secret.len(),
                secret.chars().take(3).collect::<String>()
            );
        }
    }
}

struct Flow {
    client: reqwest::Client,
    base: String,
    secrets: Secrets,
}

impl Flow {
    async fn post(&mut self, path: &str, auth: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/{DEMO_USER}/{path}", self.base))
            .header("origin", ORIGIN)
            .json(&body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.expect("the local server answers");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        self.secrets.keep_answer(&body);
        (status, body)
    }
}

async fn start(config: Config) -> String {
    let ctx = AppContext::new(config, Arc::new(MemoryStore::new()), DataKey::generate())
        .expect("valid context");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(mfa_local::serve_on(listener, Arc::new(ctx)));
    base
}

/// activate → confirm → login → challenge → verify → recover → activate → confirm →
/// deactivate, with `code()` giving the code the user would type.
async fn run_flow(flow: &mut Flow, code: impl Fn() -> String) {
    let login = json!({ "username": DEMO_USER, "password": DEMO_PASSWORD, "appId": "log-test" });
    let data = json!({ "phone": PHONE, "message": MESSAGE });

    let (status, body) = flow.post("auth/login", None, login.clone()).await;
    assert_eq!(status, 200, "{body}");
    let personal = body["token"].as_str().expect("token").to_owned();
    let (status, body) = flow
        .post("mfa/activate", Some(&personal), data.clone())
        .await;
    assert_eq!(status, 302, "{body}");
    let mfa = body["mfaToken"].as_str().expect("mfaToken").to_owned();
    let (status, body) = flow
        .post("mfa/confirm", Some(&mfa), json!({ "code": "0" }))
        .await;
    assert_eq!(
        status, 400,
        "a wrong code is logged as an error id only: {body}"
    );
    let typed = code();
    flow.secrets.keep(&typed);
    let (status, body) = flow
        .post("mfa/confirm", Some(&mfa), json!({ "code": typed }))
        .await;
    assert_eq!(status, 200, "{body}");
    let recovery = body["recoveryCodes"][0].as_str().expect("code").to_owned();

    let (status, body) = flow.post("auth/login", None, login.clone()).await;
    assert_eq!(status, 302, "{body}");
    let mfa = body["mfaToken"].as_str().expect("mfaToken").to_owned();
    let (status, _) = flow.post("mfa/challenge", Some(&mfa), json!({})).await;
    assert_eq!(status, 200);
    let typed = code();
    flow.secrets.keep(&typed);
    let (status, body) = flow
        .post("mfa/verify", Some(&mfa), json!({ "code": typed }))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = flow
        .post("mfa/verify", Some(&mfa), json!({ "code": typed }))
        .await;
    assert_eq!(status, 403, "a spent token is logged as an error id only");

    let mut recover = login.clone();
    recover["recoveryCode"] = json!(recovery);
    let (status, body) = flow.post("mfa/recover", None, recover).await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = flow.post("mfa/activate", Some(&personal), data).await;
    assert_eq!(status, 302, "{body}");
    let mfa = body["mfaToken"].as_str().expect("mfaToken").to_owned();
    let typed = code();
    let (status, _) = flow
        .post("mfa/confirm", Some(&mfa), json!({ "code": typed }))
        .await;
    assert_eq!(status, 200);
    let (status, _) = flow
        .post("mfa/deactivate", Some(&personal), json!({}))
        .await;
    assert_eq!(status, 200);
}

fn known_secrets() -> Secrets {
    let mut secrets = Secrets::default();
    for value in [
        PHONE,
        "41799990001",
        MESSAGE,
        "Hello from the log test",
        PROVIDER_KEY,
        "provider-secret-key-77",
        ORIGIN,
        DEMO_PASSWORD,
        PROVIDER_CODE,
    ] {
        secrets.keep(value);
    }
    secrets
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_of_complete_flows_in_both_modes_hold_no_secret() {
    let capture = capture();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    // Single mode: the service makes the codes; the sandbox reads them.
    let sandbox = Sandbox::start(false).await.expect("sandbox");
    let mut single = Flow {
        client: client.clone(),
        base: start(sandbox.config()).await,
        secrets: known_secrets(),
    };
    run_flow(&mut single, || {
        sandbox.latest_code().expect("a code was sent")
    })
    .await;

    // Challenge-verify: the provider makes the codes and checks them.
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/codes"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&provider)
        .await;
    // Only the provider's code passes; any other gets wiremock's 404, a refusal.
    Mock::given(method("POST"))
        .and(path("/verifications"))
        .and(body_partial_json(json!({ "code": PROVIDER_CODE })))
        .respond_with(ResponseTemplate::new(204))
        .mount(&provider)
        .await;
    let mut config = sandbox.config();
    let endpoint = |route: &str, body: &str| Endpoint {
        url: Template::parse(&format!("{}/{route}", provider.uri())).expect("url"),
        method: http::Method::POST,
        body: Some(Template::parse(body).expect("body")),
        headers: vec![
            (
                http::header::AUTHORIZATION,
                Template::parse(PROVIDER_KEY).expect("header"),
            ),
            (
                http::header::CONTENT_TYPE,
                Template::parse("application/json").expect("header"),
            ),
        ],
        success: None,
    };
    config.mode = ModeConfig::ChallengeVerify {
        challenge: endpoint("codes", r#"{"phone_number":"{{ phone }}"}"#),
        verify: endpoint(
            "verifications",
            r#"{"phone_number":"{{ phone }}","code":"{{ code }}"}"#,
        ),
    };
    let mut challenge_verify = Flow {
        client,
        base: start(config).await,
        secrets: known_secrets(),
    };
    run_flow(&mut challenge_verify, || PROVIDER_CODE.to_owned()).await;

    let logs =
        String::from_utf8(capture.0.lock().expect("capture lock").clone()).expect("UTF-8 logs");
    assert!(
        logs.contains("\"route\":\"verify\""),
        "request lines are captured"
    );
    single.secrets.assert_absent_from(&logs);
    challenge_verify.secrets.assert_absent_from(&logs);
}
