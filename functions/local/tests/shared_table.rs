//! What Lambda instances do: two `mfa-local` processes sharing one DynamoDB table, a
//! session opened through one and finished through the other; and every route with
//! the table unreachable. Needs the local DynamoDB API server of `scripts/test.sh`.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use mfa_local::sandbox::{Sandbox, DEMO_PASSWORD, DEMO_PHONE, DEMO_USER};
use pryv_mfa::secrets::DataKey;
use pryv_mfa::store::DynamoDbStore;
use pryv_mfa::AppContext;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// A data key both processes share (tests only).
const DATA_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn require_local_dynamodb() {
    assert!(
        std::env::var_os("MFA_TEST_DYNAMODB").is_some(),
        "these tests need the local DynamoDB API server: run `bash scripts/test.sh`"
    );
}

/// An `mfa-local` process on a free port, killed when dropped.
struct Process {
    child: Child,
    base: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

async fn spawn_process(config_file: &std::path::Path, table: &str) -> Process {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("an address").port()
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_mfa-local"));
    command
        .args(["--config", &config_file.display().to_string()])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--create-table"])
        .env("MFA_TABLE", table)
        .env("MFA_DATA_KEY", DATA_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true);
    let child = command.spawn().expect("mfa-local starts");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Process { child, base };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("mfa-local did not listen on {base} within 10 s");
}

/// The sandbox's configuration as a file, as an operator would write it.
fn config_file(sandbox: &Sandbox, dir: &std::path::Path) -> std::path::PathBuf {
    let yaml = format!(
        "core:\n  url: '{core}'\nsms:\n  mode: single\n  endpoints:\n    single:\n      \
         url: '{messages}'\n      method: POST\n      body: '{{\"destination\":\"{{{{ phone }}}}\",\
         \"message\":\"Your code is {{{{ code }}}}\"}}'\n      headers:\n        \
         content-type: application/json\n",
        core = sandbox.core_url,
        messages = sandbox.messaging_url,
    );
    let path = dir.join("mfa-config.yml");
    std::fs::write(&path, yaml).expect("the config file is written");
    path
}

async fn post(base: &str, path: &str, auth: Option<&str>, body: Value) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let mut request = client
        .post(format!("{base}/{DEMO_USER}/{path}"))
        .json(&body);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn login_body() -> Value {
    json!({ "username": DEMO_USER, "password": DEMO_PASSWORD, "appId": "two-processes" })
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_opened_by_one_process_are_finished_by_another_sharing_the_table() {
    require_local_dynamodb();
    let sandbox = Sandbox::start(false).await.expect("the sandbox starts");
    let dir = std::env::temp_dir().join(format!("mfa-two-{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let config = config_file(&sandbox, &dir);
    let table = format!("mfa-two-{:x}", rand::random::<u64>());
    let first = spawn_process(&config, &table).await;
    let second = spawn_process(&config, &table).await;

    // Activation opened by the first, confirmed by the second.
    let (_, login) = post(&first.base, "auth/login", None, login_body()).await;
    let personal = login["token"]
        .as_str()
        .expect("a personal token")
        .to_owned();
    let (status, body) = post(
        &first.base,
        "mfa/activate",
        Some(&personal),
        json!({ "phone": DEMO_PHONE }),
    )
    .await;
    assert_eq!(status, 302, "{body}");
    let mfa_token = body["mfaToken"].as_str().expect("an mfaToken").to_owned();
    let code = sandbox.latest_code().expect("a code was sent");
    let (status, body) = post(
        &second.base,
        "mfa/confirm",
        Some(&mfa_token),
        json!({ "code": code }),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // A login opened by the second, challenged by the first, verified by the second.
    let (status, body) = post(&second.base, "auth/login", None, login_body()).await;
    assert_eq!(status, 302, "MFA is active for both processes: {body}");
    let mfa_token = body["mfaToken"].as_str().expect("an mfaToken").to_owned();
    let (status, _) = post(&first.base, "mfa/challenge", Some(&mfa_token), json!({})).await;
    assert_eq!(status, 200);
    let code = sandbox.latest_code().expect("a code was sent");
    let (status, body) = post(
        &second.base,
        "mfa/verify",
        Some(&mfa_token),
        json!({ "code": code }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["token"].is_string(), "the core's login answer: {body}");

    // Spent for both.
    let (status, _) = post(
        &first.base,
        "mfa/verify",
        Some(&mfa_token),
        json!({ "code": code }),
    )
    .await;
    assert_eq!(status, 403);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_api_unavailable_when_the_table_is_unreachable_and_sends_nothing() {
    let sandbox = Sandbox::start(false).await.expect("the sandbox starts");
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("an address").port()
    };
    let sdk = DynamoDbStore::config_loader()
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "t", "t", None, None, "test",
        ))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(format!("http://127.0.0.1:{closed_port}"))
            .build(),
    );
    let store = Arc::new(DynamoDbStore::new(client, "unreachable"));
    let ctx = AppContext::new(sandbox.config(), store, DataKey::generate()).expect("a context");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(mfa_local::serve_on(listener, Arc::new(ctx)));
    let (_, login) = post(&base, "auth/login", None, login_body()).await;
    assert_eq!(
        login["error"]["id"], "api-unavailable",
        "login fails closed: {login}"
    );
    // A personal token straight from the sandbox core, since the service cannot log in.
    let core_login = reqwest::Client::new()
        .post(format!("{}{DEMO_USER}/auth/login", sandbox.core_url))
        .json(&login_body())
        .send()
        .await
        .expect("the sandbox core answers");
    let personal: Value = core_login.json().await.expect("JSON");
    let personal = personal["token"].as_str().expect("a token").to_owned();

    let mut recover = login_body();
    recover["recoveryCode"] = json!("0a1b2c3d-0000-4000-8000-000000000000");
    let calls = [
        (
            "mfa/activate",
            Some(personal.as_str()),
            json!({ "phone": DEMO_PHONE }),
        ),
        (
            "mfa/confirm",
            Some("some-mfa-token"),
            json!({ "code": "123456" }),
        ),
        ("mfa/challenge", Some("some-mfa-token"), json!({})),
        (
            "mfa/verify",
            Some("some-mfa-token"),
            json!({ "code": "123456" }),
        ),
        ("mfa/deactivate", Some(personal.as_str()), json!({})),
        ("mfa/recover", None, recover),
    ];
    for (path, auth, body) in calls {
        let (status, answer) = post(&base, path, auth, body).await;
        assert_eq!(
            (status, &answer["error"]["id"]),
            (503, &json!("api-unavailable")),
            "{path}: {answer}"
        );
    }
    assert_eq!(sandbox.latest_code(), None, "no message was sent");
}
