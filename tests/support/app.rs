//! [`spawn_app`] and [`TestApp`]: the service on a loopback port, its fakes, its clock,
//! and one method per route.

use std::sync::{Arc, Once};

use pryv_mfa::config::Config;
use pryv_mfa::context::{Clock, ManualClock};
use pryv_mfa::secrets::DataKey;
use pryv_mfa::AppContext;
use serde_json::{json, Value};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::config::{self, Urls};
use crate::fake_core::{self, PASSWORD};
use crate::fake_provider::{self, PROVIDER_CODE};
use crate::options::destination_number;
use crate::{store, Answer, Mode, TestOptions, ALICE};

const DAY: u64 = 86_400;

/// What every view of one running app shares.
struct Running {
    address: String,
    http: reqwest::Client,
    core: MockServer,
    provider: MockServer,
    clock: Arc<ManualClock>,
    mode: Mode,
    mfa_token_status: u16,
    table: Option<String>,
}

/// A running service, seen as one user (by default [`ALICE`]; see
/// [`TestApp::as_user`]).
#[derive(Clone)]
pub struct TestApp {
    running: Arc<Running>,
    /// The user of the route methods' paths.
    pub user: String,
}

/// Starts the service as `options` say, with fakes for the core and the provider;
/// panics (failing the test) when anything cannot start.
pub async fn spawn_app(options: TestOptions) -> TestApp {
    init_logs();
    let core = MockServer::start().await;
    let provider = MockServer::start().await;
    fake_core::mount_defaults(&core).await;
    fake_provider::mount_defaults(&provider, options.mode).await;

    let urls = Urls {
        core: if options.core_unreachable {
            closed_port_url().await
        } else {
            core.uri()
        },
        provider: if options.provider_unreachable {
            closed_port_url().await
        } else {
            provider.uri()
        },
        verify: if options.verify_unreachable || options.provider_unreachable {
            closed_port_url().await
        } else {
            provider.uri()
        },
    };
    let yaml = config::yaml(options.mode, &urls, &options.settings);
    let config = Config::parse(&yaml).unwrap_or_else(|e| panic!("test configuration: {e}"));
    let mfa_token_status = config.mfa_token_status.as_u16();
    let clock = Arc::new(ManualClock::new());
    // Limits count in windows of an hour and a day: starting at the start of a day
    // keeps a test's few minutes inside one window.
    clock.advance(DAY - clock.now() % DAY);
    let (store, table) = store::build(options.store).await;
    let ctx = AppContext::new(config, store, DataKey::generate())
        .unwrap_or_else(|e| panic!("app context: {e:#}"))
        .with_clock(Arc::clone(&clock) as Arc<dyn Clock>);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("binding the service: {e}"));
    let address = listener
        .local_addr()
        .map(|a| format!("http://{a}"))
        .unwrap_or_else(|e| panic!("service address: {e}"));
    tokio::spawn(mfa_local::serve_on(listener, Arc::new(ctx)));
    let http = reqwest::Client::builder()
        // The service answers 302 with a JSON body: it must be read, not followed.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("test HTTP client: {e}"));
    TestApp {
        running: Arc::new(Running {
            address,
            http,
            core,
            provider,
            clock,
            mode: options.mode,
            mfa_token_status,
            table,
        }),
        user: ALICE.to_owned(),
    }
}

/// A loopback URL on which nothing listens.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("binding a port to close: {e}"));
    let address = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("closed port address: {e}"));
    drop(listener);
    format!("http://{address}")
}

fn init_logs() {
    static LOGS: Once = Once::new();
    LOGS.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            pryv_mfa::logging::init_local("debug");
        }
    });
}

impl TestApp {
    /// The DynamoDB table of the app, if it runs on one.
    pub fn table(&self) -> Option<&str> {
        self.running.table.as_deref()
    }

    /// The same app, seen as another user.
    pub fn as_user(&self, user: &str) -> TestApp {
        TestApp {
            running: Arc::clone(&self.running),
            user: user.to_owned(),
        }
    }

    /// The service's base URL, e.g. `http://127.0.0.1:40123`.
    pub fn address(&self) -> &str {
        &self.running.address
    }

    /// The fake Pryv core, to mount answers on or read what it received.
    pub fn core(&self) -> &MockServer {
        &self.running.core
    }

    /// The fake provider, to mount answers on or read what it received.
    pub fn provider(&self) -> &MockServer {
        &self.running.provider
    }

    /// The service's clock.
    pub fn clock(&self) -> &ManualClock {
        &self.running.clock
    }

    /// The mode the service runs in.
    pub fn mode(&self) -> Mode {
        self.running.mode
    }

    /// The status announcing an mfaToken (the configured `mfaTokenStatus`).
    pub fn mfa_token_status(&self) -> u16 {
        self.running.mfa_token_status
    }

    /// Makes the core answer every login with `answer`, over the defaults.
    pub async fn core_answers_login(&self, answer: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path_regex(fake_core::LOGIN_PATH))
            .respond_with(answer)
            .mount(self.core())
            .await;
    }

    /// Makes the core answer every access-info with `answer`, over the defaults.
    pub async fn core_answers_access_info(&self, answer: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path_regex(fake_core::ACCESS_INFO_PATH))
            .respond_with(answer)
            .mount(self.core())
            .await;
    }

    /// A client that follows no redirect.
    pub fn http(&self) -> &reqwest::Client {
        &self.running.http
    }

    fn url(&self, route: &str) -> String {
        format!("{}/{}/{route}", self.running.address, self.user)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("calling the service: {e}"));
        Answer::read(response).await
    }

    async fn call(&self, route: &str, auth: Option<&str>, body: &Value) -> Answer {
        let mut request = self.http().post(self.url(route)).json(body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        self.send(request).await
    }

    /// A raw POST to `path` (from the root, e.g. `/alice1/auth/login`).
    pub async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let mut request = self
            .http()
            .post(format!("{}{path}", self.running.address))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    /// An OPTIONS request (CORS preflight) to `path`.
    pub async fn options(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.http().request(
            reqwest::Method::OPTIONS,
            format!("{}{path}", self.running.address),
        );
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    /// `POST /{user}/auth/login`.
    pub async fn login(&self, body: &Value) -> Answer {
        self.call("auth/login", None, body).await
    }

    /// `POST /{user}/mfa/activate` with `token` as the raw Authorization.
    pub async fn activate(&self, token: &str, data: &Value) -> Answer {
        self.call("mfa/activate", Some(token), data).await
    }

    /// `POST /{user}/mfa/confirm`.
    pub async fn confirm(&self, mfa_token: &str, code: &str) -> Answer {
        self.call("mfa/confirm", Some(mfa_token), &json!({ "code": code }))
            .await
    }

    /// `POST /{user}/mfa/challenge`.
    pub async fn challenge(&self, mfa_token: &str) -> Answer {
        self.call("mfa/challenge", Some(mfa_token), &json!({}))
            .await
    }

    /// `POST /{user}/mfa/verify`.
    pub async fn verify(&self, mfa_token: &str, code: &str) -> Answer {
        self.call("mfa/verify", Some(mfa_token), &json!({ "code": code }))
            .await
    }

    /// `POST /{user}/mfa/deactivate`.
    pub async fn deactivate(&self, token: &str) -> Answer {
        self.call("mfa/deactivate", Some(token), &json!({})).await
    }

    /// `POST /{user}/mfa/recover`.
    pub async fn recover(&self, body: &Value) -> Answer {
        self.call("mfa/recover", None, body).await
    }

    /// The login body with the right password.
    pub fn login_body(&self) -> Value {
        json!({ "username": self.user, "password": PASSWORD, "appId": "mfa-tests" })
    }

    /// The recover body with the right password and `recovery_code`.
    pub fn recover_body(&self, recovery_code: &str) -> Value {
        let mut body = self.login_body();
        body["recoveryCode"] = json!(recovery_code);
        body
    }

    /// A personal token the fake core accepts (the one its login gives).
    pub fn personal_token(&self) -> String {
        fake_core::core_token(&self.user)
    }

    /// The user's MFA data in the app's mode.
    pub fn user_data(&self) -> Value {
        self.mode().user_data(&self.user)
    }

    /// Activates MFA (activate, then confirm with the code sent) and returns the
    /// recovery codes.
    pub async fn activate_mfa(&self) -> Vec<String> {
        let activation = self
            .activate(&self.personal_token(), &self.user_data())
            .await;
        activation.assert_status(self.mfa_token_status());
        let confirmed = self
            .confirm(&activation.mfa_token(), &self.current_code().await)
            .await;
        confirmed.assert_status(200);
        confirmed.json()["recoveryCodes"]
            .as_array()
            .unwrap_or_else(|| panic!("no recovery codes: {}", confirmed.text()))
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect()
    }

    /// Logs in with MFA active and returns the mfaToken.
    pub async fn mfa_login(&self) -> String {
        let login = self.login(&self.login_body()).await;
        login.assert_status(self.mfa_token_status());
        login.mfa_token()
    }

    /// The send requests (single send, or challenge) the provider received for this
    /// user's destination, oldest first.
    pub async fn sends(&self) -> Vec<Request> {
        let mode = self.mode();
        let number = destination_number(&self.user);
        self.provider()
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == fake_provider::send_path(mode))
            .filter(|r| fake_provider::destination(r, mode).is_some_and(|d| d.ends_with(&number)))
            .collect()
    }

    /// The codes sent to this user, oldest first (single mode).
    pub async fn sent_codes(&self) -> Vec<String> {
        let mode = self.mode();
        self.sends()
            .await
            .iter()
            .map(|r| {
                fake_provider::code_in(r, mode)
                    .unwrap_or_else(|| panic!("no code in a send: {}", r.url))
            })
            .collect()
    }

    /// The code the user would type now: the latest sent (single mode), or the one
    /// the provider accepts (challenge-verify).
    pub async fn current_code(&self) -> String {
        if !self.mode().is_single() {
            return PROVIDER_CODE.to_owned();
        }
        self.sent_codes()
            .await
            .pop()
            .unwrap_or_else(|| panic!("no code was sent to {}", self.user))
    }

    /// A code of the right shape that differs from [`TestApp::current_code`].
    pub async fn wrong_code(&self) -> String {
        self.current_code()
            .await
            .bytes()
            .map(|b| char::from(b'0' + (b - b'0' + 1) % 10))
            .collect()
    }
}
