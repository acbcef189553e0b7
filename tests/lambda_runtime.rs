//! The built function binaries, run as Lambda runs them: each a child process with
//! the Lambda environment, polling a Runtime API stand-in on loopback, answering API
//! Gateway HTTP API (v2) events against the sandbox core, its messaging endpoint and a
//! fresh table on the local DynamoDB API server that `scripts/test.sh` starts.
//!
//! Counting proxies stand in front of the store, the core and the messaging endpoint,
//! so that a test can tell whether a process reached them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use mfa_bench::events::{HttpApiEvent, HttpApiResponse};
use mfa_bench::function::{sibling_binary, FunctionProcess};
use mfa_bench::proxy::CountingProxy;
use mfa_bench::sandbox::{Sandbox, DEMO_PASSWORD, DEMO_PHONE, DEMO_USER};
use pryv_mfa::store::DynamoDbStore;
use serde_json::{json, Value};

/// How long a function may take to start in a debug build on a busy machine.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A data key for the test table only: 32 bytes in base64.
const TEST_DATA_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// The sandbox, the proxies in front of everything a function may call, a table and a
/// configuration file pointing at the proxies.
struct Stack {
    sandbox: Sandbox,
    store_proxy: CountingProxy,
    core_proxy: CountingProxy,
    messaging_proxy: CountingProxy,
    config_dir: TempDir,
    table: String,
}

impl Stack {
    async fn start() -> Self {
        let moto = local_dynamodb_addr();
        let sandbox = Sandbox::start(false).await.expect("starting the sandbox");
        let store_proxy = CountingProxy::start(moto).await.expect("store proxy");
        let core_proxy = CountingProxy::start(socket_addr(&sandbox.core_url))
            .await
            .expect("core proxy");
        let messaging_proxy = CountingProxy::start(socket_addr(&sandbox.messaging_url))
            .await
            .expect("messaging proxy");
        let table = format!("mfa-lambda-{:016x}", random_u64());
        // Created by the test itself, straight on the server: not through the proxy.
        DynamoDbStore::from_env(table.clone())
            .await
            .create_table_if_missing()
            .await
            .expect("creating the test table on the local DynamoDB API server");
        let config_dir = TempDir::new("mfa-lambda-runtime");
        let yaml = sandbox_config_yaml(&core_proxy, &messaging_proxy);
        std::fs::write(config_dir.path.join("mfa.yaml"), yaml).expect("writing the config");
        Self {
            sandbox,
            store_proxy,
            core_proxy,
            messaging_proxy,
            config_dir,
            table,
        }
    }

    /// The environment an operator gives the functions, the configuration in a file.
    fn environment(&self) -> BTreeMap<String, String> {
        let config_file = self.config_dir.path.join("mfa.yaml");
        [
            ("MFA_CONFIG_FILE", config_file.display().to_string()),
            ("MFA_TABLE", self.table.clone()),
            ("MFA_DATA_KEY", TEST_DATA_KEY.to_owned()),
            ("AWS_ENDPOINT_URL_DYNAMODB", self.store_proxy.url()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
    }

    /// Starts the function of `route` and waits until it polls for events.
    async fn function(&self, route: &str) -> FunctionProcess {
        let function = spawn(route, &self.environment()).await;
        if let Err(error) = function.wait_ready(START_TIMEOUT).await {
            panic!(
                "mfa-{route} did not start: {error}\nstderr:\n{}\nstdout:\n{}",
                function.stderr(),
                function.stdout()
            );
        }
        function
    }

    /// Connections that reached the store, the core or the messaging endpoint.
    fn outbound_connections(&self) -> [(&'static str, usize); 3] {
        [
            ("store", self.store_proxy.connections()),
            ("core", self.core_proxy.connections()),
            ("messaging", self.messaging_proxy.connections()),
        ]
    }
}

/// The whole MFA flow, each step answered by the built binary of its route.
#[tokio::test]
async fn the_function_binaries_answer_the_whole_mfa_flow_through_the_runtime_api() {
    let stack = Stack::start().await;
    let login = stack.function("login").await;
    let activate = stack.function("activate").await;
    let confirm = stack.function("confirm").await;
    let challenge = stack.function("challenge").await;
    let verify = stack.function("verify").await;
    let deactivate = stack.function("deactivate").await;
    let credentials =
        json!({ "username": DEMO_USER, "password": DEMO_PASSWORD, "appId": "lambda-test" });

    // MFA off: the core's answer, whole, its cookie in the v2 `cookies`.
    let plain = call(&login, event("auth/login").json(&credentials)).await;
    assert_eq!(plain.status, 200, "plain login: {}", plain.body);
    assert_eq!(plain.header("content-type"), Some("application/json"));
    assert_eq!(plain.header("access-control-allow-origin"), Some("*"));
    assert!(
        plain.cookies.iter().any(|c| c.starts_with("sso=")),
        "the core's Set-Cookie is passed on: {:?}",
        plain.cookies
    );
    let personal = text(&plain.json(), "token");

    let activation = call(
        &activate,
        event("mfa/activate")
            .authorization(&personal)
            .json(&json!({ "phone": DEMO_PHONE })),
    )
    .await;
    assert_eq!(activation.status, 302, "activate: {}", activation.body);
    let activation_token = text(&activation.json(), "mfaToken");

    let code = stack.sandbox.latest_code().expect("a code was sent");
    let confirmed = call(
        &confirm,
        event("mfa/confirm")
            .authorization(&activation_token)
            .json(&json!({ "code": code })),
    )
    .await;
    assert_eq!(confirmed.status, 200, "confirm: {}", confirmed.body);
    let recovery_codes = confirmed.json()["recoveryCodes"].as_array().cloned();
    assert_eq!(recovery_codes.map(|codes| codes.len()), Some(10));

    // MFA on: only an mfaToken, no core token, no cookie.
    let second = call(&login, event("auth/login").json(&credentials)).await;
    assert_eq!(second.status, 302, "MFA login: {}", second.body);
    let body = second.json();
    let mfa_token = text(&body, "mfaToken");
    assert!(body.get("token").is_none() && second.cookies.is_empty());

    let challenged = call(&challenge, event("mfa/challenge").authorization(&mfa_token)).await;
    assert_eq!(challenged.status, 200, "challenge: {}", challenged.body);
    let code = stack.sandbox.latest_code().expect("a code was sent");

    let verified = call(
        &verify,
        event("mfa/verify")
            .authorization(&mfa_token)
            .json(&json!({ "code": code })),
    )
    .await;
    assert_eq!(verified.status, 200, "verify: {}", verified.body);
    let core_token = text(&verified.json(), "token");
    assert_core_knows(&stack.sandbox, &core_token).await;

    let deactivated = call(
        &deactivate,
        event("mfa/deactivate").authorization(&personal),
    )
    .await;
    assert_eq!(deactivated.status, 200, "deactivate: {}", deactivated.body);
    let after = call(&login, event("auth/login").json(&credentials)).await;
    assert_eq!(after.status, 200, "login after deactivate: {}", after.body);
}

/// An operator's mistake stops the function at start, naming the field.
#[tokio::test]
async fn a_function_with_an_invalid_configuration_stops_and_names_the_field() {
    let stack = Stack::start().await;
    let mut env = stack.environment();
    env.remove("MFA_CONFIG_FILE");
    env.insert(
        "MFA_CONFIG".into(),
        r#"{"core": {"url": "http://127.0.0.1:9/"}, "sms": {"mode": "carrier-pigeon"}}"#.into(),
    );

    let mut function = spawn("verify", &env).await;
    let status = function.wait_exit(START_TIMEOUT).await;

    let ready = function.api().ready_at();
    let stderr = function.stderr();
    assert!(ready.is_none(), "it must never poll for events");
    let failed = status.is_some_and(|s| !s.success()) || function.api().init_error().is_some();
    assert!(failed, "it must exit non-zero or report an init error");
    assert!(
        stderr.contains("sms.mode"),
        "stderr names the field:\n{stderr}"
    );
}

/// A cold start reads the configuration and builds clients, and calls nobody: the
/// store, the core and the messaging endpoint are first reached by a request.
#[tokio::test]
async fn a_cold_start_makes_no_network_call() {
    let stack = Stack::start().await;

    let login = stack.function("login").await;
    let verify = stack.function("verify").await;

    for (name, count) in stack.outbound_connections() {
        assert_eq!(count, 0, "{name} was reached during a cold start");
    }
    // The proxies are on the functions' path: a request reaches the core and the store.
    let answer = call(
        &login,
        event("auth/login").json(&json!({ "password": "wrong" })),
    )
    .await;
    assert_eq!(
        answer.status, 401,
        "login with a wrong password: {}",
        answer.body
    );
    let answer = call(
        &verify,
        event("mfa/verify")
            .authorization(&"0".repeat(64))
            .json(&json!({ "code": "123456" })),
    )
    .await;
    assert!(answer.status >= 400, "an unknown mfaToken: {}", answer.body);
    assert!(
        stack.core_proxy.connections() > 0,
        "the core proxy was bypassed"
    );
    assert!(
        stack.store_proxy.connections() > 0,
        "the store proxy was bypassed"
    );
}

/// A v2 event for a route of the demo user.
fn event(route_path: &str) -> HttpApiEvent {
    HttpApiEvent::post(DEMO_USER, route_path)
}

/// Hands `event` to `function` and reads its API Gateway response.
async fn call(function: &FunctionProcess, event: HttpApiEvent) -> HttpApiResponse {
    let payload = match function.invoke(event.to_json()).await {
        Ok(invocation) => invocation.into_response(),
        Err(error) => Err(error),
    };
    let payload = payload.unwrap_or_else(|error| {
        panic!(
            "the invocation failed: {error}\nstderr:\n{}",
            function.stderr()
        )
    });
    HttpApiResponse::parse(&payload).unwrap_or_else(|error| panic!("{error}: {payload}"))
}

async fn spawn(route: &str, env: &BTreeMap<String, String>) -> FunctionProcess {
    let binary = function_binary(route);
    FunctionProcess::spawn(&binary, &format!("mfa-{route}"), env)
        .await
        .unwrap_or_else(|error| panic!("starting {}: {error}", binary.display()))
}

/// The built binary of a function, beside this test's own target directory.
fn function_binary(route: &str) -> PathBuf {
    let name = format!("mfa-{route}");
    sibling_binary(&name).unwrap_or_else(|| {
        panic!("{name} is not built: run scripts/test.sh (it builds the function binaries first)")
    })
}

/// Proves the core issued `token`: its access-info accepts it.
async fn assert_core_knows(sandbox: &Sandbox, token: &str) {
    let url = sandbox
        .core_url
        .join(&format!("{DEMO_USER}/access-info"))
        .expect("access-info URL");
    let status = reqwest::Client::new()
        .get(url)
        .header("authorization", token)
        .send()
        .await
        .expect("calling the sandbox core")
        .status();
    assert_eq!(status, 200, "verify must give the core's own token");
}

fn text(body: &Value, field: &str) -> String {
    body.get(field)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no '{field}' in {body}"))
        .to_owned()
}

/// The sandbox's configuration, as an operator's YAML file, through the proxies.
fn sandbox_config_yaml(core: &CountingProxy, messaging: &CountingProxy) -> String {
    format!(
        r#"core:
  url: '{core}/'
sms:
  mode: 'single'
  endpoints:
    single:
      url: '{messaging}/messages'
      method: 'POST'
      body: '{{"destination":"{{{{ phone }}}}","message":"Your Pryv MFA code is {{{{ code }}}}"}}'
      headers:
        'content-type': 'application/json'
"#,
        core = core.url(),
        messaging = messaging.url(),
    )
}

/// The local DynamoDB API server announced by `scripts/test.sh`, on loopback only.
fn local_dynamodb_addr() -> SocketAddr {
    let announced = std::env::var_os("MFA_TEST_DYNAMODB").is_some();
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    let url = url_addr(&endpoint);
    match (announced, url) {
        (true, Some(addr)) if addr.ip().is_loopback() => addr,
        _ => panic!(
            "these tests need the local DynamoDB API server on loopback: run them with \
             `bash scripts/test.sh -- -p mfa-tests --test lambda_runtime`"
        ),
    }
}

fn socket_addr(url: &reqwest::Url) -> SocketAddr {
    url.socket_addrs(|| None)
        .ok()
        .and_then(|addrs| addrs.into_iter().next())
        .unwrap_or_else(|| panic!("a loopback address in {url}"))
}

fn url_addr(text: &str) -> Option<SocketAddr> {
    let url = reqwest::Url::parse(text).ok()?;
    url.socket_addrs(|| None).ok()?.into_iter().next()
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // Table names only need to differ between runs; RandomState is seeded per process.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// A directory removed with its files when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{prefix}-{:016x}", random_u64()));
        std::fs::create_dir_all(&path).expect("creating a temporary directory");
        Self { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Deployed, the configuration (data key included) is an SSM SecureString: the cold
/// start reads it, decrypted, and calls nothing else.
#[tokio::test]
async fn a_cold_start_reads_the_configuration_from_ssm_and_nothing_else() {
    let stack = Stack::start().await;
    let ssm_endpoint = std::env::var("AWS_ENDPOINT_URL_SSM").unwrap_or_default();
    let ssm_server = url_addr(&ssm_endpoint)
        .filter(|addr| addr.ip().is_loopback())
        .unwrap_or_else(|| {
            panic!("AWS_ENDPOINT_URL_SSM must be a loopback server: run scripts/test.sh")
        });
    let ssm_proxy = CountingProxy::start(ssm_server).await.expect("SSM proxy");
    let name = format!("/pryv-mfa-test/{:016x}/config", random_u64());
    let yaml = std::fs::read_to_string(stack.config_dir.path.join("mfa.yaml"))
        .expect("the sandbox configuration");
    let document = format!("{yaml}dataKey: '{TEST_DATA_KEY}'\n");
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name(&name)
        .value(document)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("storing the configuration parameter on the local server");
    let mut env = stack.environment();
    env.remove("MFA_CONFIG_FILE");
    env.remove("MFA_DATA_KEY");
    env.insert("MFA_CONFIG_PARAMETER".into(), name);
    env.insert("AWS_ENDPOINT_URL_SSM".into(), ssm_proxy.url());

    let login = spawn("login", &env).await;
    if let Err(error) = login.wait_ready(START_TIMEOUT).await {
        panic!("mfa-login did not start: {error}\n{}", login.stderr());
    }

    assert!(ssm_proxy.connections() > 0, "the parameter was read");
    for (name, count) in stack.outbound_connections() {
        assert_eq!(count, 0, "{name} was reached during a cold start");
    }
    let credentials = json!({ "username": DEMO_USER, "password": DEMO_PASSWORD, "appId": "ssm" });
    let answer = call(&login, event("auth/login").json(&credentials)).await;
    assert_eq!(answer.status, 200, "a plain login: {}", answer.body);
}
