//! API Gateway events, as recorded in `tests/events/` (HTTP API payload v2 in `v2/`,
//! REST API payload v1 with a `prod` stage in `v1/`), fed through the request path
//! `lambda_http::run` uses (`lambda_http::request::from_str`, then
//! `pryv_mfa::lambda::answer`), against the sandbox core.
//!
//! The same requests are then sent to the local server over real HTTP: both must give
//! the same statuses, the same JSON shapes and the same CORS headers, so that what is
//! tried locally is what runs on Lambda.
//!
//! Fixtures carry placeholders (`__MFA_TOKEN__`, `__PERSONAL_TOKEN__`, `__CODE__`,
//! `__RECOVERY_CODE__`) filled at run time, since tokens and codes are random.

use std::collections::BTreeSet;
use std::future::poll_fn;
use std::path::PathBuf;
use std::sync::Arc;

use http::{header, HeaderMap, Method};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt, Service};
use mfa_local::sandbox::{Sandbox, DEMO_USER};
use pryv_mfa::routes::{PathUsername, Route};
use pryv_mfa::secrets::DataKey;
use pryv_mfa::store::MemoryStore;
use pryv_mfa::AppContext;
use serde_json::Value;

/// The two payload formats API Gateway sends to a Lambda function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payload {
    /// HTTP API, payload format 2.0, `$default` stage.
    V2,
    /// REST API (payload format 1.0), stage `prod`.
    V1,
}

impl Payload {
    fn dir(self) -> &'static str {
        match self {
            Payload::V2 => "v2",
            Payload::V1 => "v1",
        }
    }
}

/// Every fixture, with the route its Lambda function serves.
const FIXTURES: [(&str, Route); 10] = [
    ("login", Route::Login),
    ("login-alias", Route::Login),
    ("login-base64", Route::Login),
    ("activate", Route::Activate),
    ("confirm", Route::Confirm),
    ("challenge", Route::Challenge),
    ("verify", Route::Verify),
    ("deactivate", Route::Deactivate),
    ("recover", Route::Recover),
    ("preflight", Route::Verify),
];

/// The values the placeholders take; a missing one leaves its placeholder in place.
#[derive(Clone, Default)]
struct Values {
    personal_token: String,
    mfa_token: String,
    code: String,
    recovery_code: String,
}

/// One answer, from either transport.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// The body's top-level keys (and the error id, for errors): what must match
    /// between transports while tokens differ.
    fn shape(&self) -> String {
        let keys: BTreeSet<&str> = self
            .body
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let error_id = self.body["error"]["id"].as_str().unwrap_or("");
        format!("{keys:?} {error_id}")
    }

    /// The CORS and content headers a browser client relies on, and whether a
    /// cookie is set.
    fn client_headers(&self) -> Vec<(String, String)> {
        let mut seen: Vec<(String, String)> = [
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::ACCESS_CONTROL_MAX_AGE,
            header::VARY,
            header::CONTENT_TYPE,
        ]
        .iter()
        .filter_map(|name| {
            let value = self.headers.get(name)?.to_str().ok()?;
            Some((name.to_string(), value.to_owned()))
        })
        .collect();
        let cookies = self.headers.get_all(header::SET_COOKIE).iter().count();
        seen.push(("set-cookie count".into(), cookies.to_string()));
        seen
    }

    fn text(&self, name: &str) -> String {
        self.body[name].as_str().unwrap_or_default().to_owned()
    }
}

/// Where a request goes: the Lambda adapter in-process, or the local server.
enum Transport {
    Lambda(Arc<AppContext>),
    Http {
        client: reqwest::Client,
        base: String,
    },
}

impl Transport {
    /// A fresh in-memory context on the sandbox: each flow starts with no MFA state
    /// and fresh limits.
    fn context(sandbox: &Sandbox) -> Arc<AppContext> {
        let ctx = AppContext::new(
            sandbox.config(),
            Arc::new(MemoryStore::new()),
            DataKey::generate(),
        );
        Arc::new(ctx.expect("the sandbox configuration builds a context"))
    }

    fn lambda(sandbox: &Sandbox) -> Self {
        Transport::Lambda(Self::context(sandbox))
    }

    /// The local server on a free loopback port, with its own context.
    async fn http(sandbox: &Sandbox) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        tokio::spawn(mfa_local::serve_on(listener, Self::context(sandbox)));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Transport::Http {
            client,
            base: format!("http://{addr}"),
        }
    }

    async fn send(&self, route: Route, event: lambda_http::Request) -> Answer {
        match self {
            Transport::Lambda(ctx) => {
                let response = pryv_mfa::lambda::answer(ctx, route, event).await;
                let (parts, body) = response.into_parts();
                Answer {
                    status: parts.status.as_u16(),
                    headers: parts.headers,
                    body: json_of(body.as_ref()),
                }
            }
            Transport::Http { client, base } => send_http(client, base, event).await,
        }
    }
}

/// Sends the event's request as a client would to the local server: same method,
/// path (stage prefix included, as a client of the stage would), headers and body.
async fn send_http(client: &reqwest::Client, base: &str, event: lambda_http::Request) -> Answer {
    let path_and_query = event
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let (parts, body) = event.into_parts();
    let mut request = client
        .request(parts.method, format!("{base}{path_and_query}"))
        .body(body.as_ref().to_vec());
    for (name, value) in &parts.headers {
        // The gateway's own headers and those reqwest computes stay out.
        let skip = name == header::HOST
            || name == header::CONTENT_LENGTH
            || name == header::ACCEPT_ENCODING
            || name.as_str().starts_with("x-forwarded-")
            || name.as_str().starts_with("x-amzn-");
        if !skip {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.expect("the local server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a response body");
    Answer {
        status,
        headers,
        body: json_of(&bytes),
    }
}

fn json_of(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes).expect("a JSON body")
    }
}

fn fixture_path(payload: Payload, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(payload.dir())
        .join(format!("{name}.json"))
}

/// The fixture's JSON with its placeholders filled; each value is JSON-escaped, as
/// it lands inside a JSON string (the body string of the event).
fn event_json(payload: Payload, name: &str, values: &Values) -> String {
    let path = fixture_path(payload, name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    [
        ("__PERSONAL_TOKEN__", &values.personal_token),
        ("__MFA_TOKEN__", &values.mfa_token),
        ("__CODE__", &values.code),
        ("__RECOVERY_CODE__", &values.recovery_code),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .fold(text, |text, (placeholder, value)| {
        text.replace(placeholder, &escaped_twice(value))
    })
}

/// A value as it appears in a fixture: inside the JSON string that is the event's
/// `body`, itself inside the event's JSON.
fn escaped_twice(value: &str) -> String {
    let once = serde_json::to_string(value).expect("a string serializes");
    let twice = serde_json::to_string(&once[1..once.len() - 1]).expect("a string serializes");
    twice[1..twice.len() - 1].to_owned()
}

/// The fixture as `lambda_http` hands it to a function.
fn event(payload: Payload, name: &str, values: &Values) -> lambda_http::Request {
    lambda_http::request::from_str(&event_json(payload, name, values))
        .unwrap_or_else(|e| panic!("{payload:?} {name}: not an API Gateway event: {e}"))
}

/// One step of a flow: what was sent and what came back.
struct Step {
    name: &'static str,
    answer: Answer,
}

/// Runs the whole MFA flow with `payload` events, checking each answer; returns the
/// transcript for comparison between transports.
async fn run_flow(transport: &Transport, payload: Payload, sandbox: &Sandbox) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut values = Values::default();
    let mut send = async |name: &'static str, route: Route, values: &Values, status: u16| {
        let answer = transport.send(route, event(payload, name, values)).await;
        assert_eq!(
            answer.status, status,
            "{payload:?} {name}: unexpected answer {answer:?}"
        );
        steps.push(Step {
            name,
            answer: answer.clone(),
        });
        answer
    };
    let latest_code = || sandbox.latest_code().expect("the sandbox received a code");

    // MFA off: the core's answer, its single sign-on cookie included.
    let login = send("login", Route::Login, &values, 200).await;
    values.personal_token = login.text("token");
    assert!(!values.personal_token.is_empty(), "{payload:?}: no token");
    assert!(login.headers.contains_key(header::SET_COOKIE));

    let activation = send("activate", Route::Activate, &values, 302).await;
    assert_eq!(activation.shape(), r#"{"mfaToken"} "#, "{payload:?}");
    values.mfa_token = activation.text("mfaToken");
    values.code = latest_code();
    let confirmed = send("confirm", Route::Confirm, &values, 200).await;
    let recovery_codes = confirmed.body["recoveryCodes"].as_array().cloned();
    let recovery_codes = recovery_codes.expect("recovery codes");
    assert_eq!(recovery_codes.len(), 10, "{payload:?}");
    values.recovery_code = recovery_codes[0].as_str().expect("a code").to_owned();

    // MFA on: login gives only an mfaToken, verify gives the core's answer.
    let login = send("login", Route::Login, &values, 302).await;
    assert_eq!(
        login.shape(),
        r#"{"mfaToken"} "#,
        "{payload:?}: token leaked"
    );
    values.mfa_token = login.text("mfaToken");
    let challenge = send("challenge", Route::Challenge, &values, 200).await;
    assert!(!challenge.text("message").is_empty(), "{payload:?}");
    values.code = latest_code();
    let verified = send("verify", Route::Verify, &values, 200).await;
    assert!(!verified.text("token").is_empty(), "{payload:?}");
    assert!(!verified.text("apiEndpoint").is_empty(), "{payload:?}");
    assert!(verified.headers.contains_key(header::SET_COOKIE));
    let spent = send("verify", Route::Verify, &values, 403).await;
    assert_eq!(spent.body["error"]["id"], "forbidden", "{payload:?}");

    // Recovery turns MFA off: a plain login (through the alias) gives the token.
    let recovered = send("recover", Route::Recover, &values, 200).await;
    assert!(!recovered.text("message").is_empty(), "{payload:?}");
    let login = send("login-alias", Route::Login, &values, 200).await;
    values.personal_token = login.text("token");
    assert!(!values.personal_token.is_empty(), "{payload:?}");

    // On again, then off with a personal token; a base64 body logs in plainly.
    values.mfa_token = send("activate", Route::Activate, &values, 302)
        .await
        .text("mfaToken");
    values.code = latest_code();
    send("confirm", Route::Confirm, &values, 200).await;
    let deactivated = send("deactivate", Route::Deactivate, &values, 200).await;
    assert!(!deactivated.text("message").is_empty(), "{payload:?}");
    let login = send("login-base64", Route::Login, &values, 200).await;
    assert!(!login.text("token").is_empty(), "{payload:?}");

    let preflight = send("preflight", Route::Verify, &values, 200).await;
    let cors = &preflight.headers;
    assert_eq!(
        cors[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://sw.pryv.me"
    );
    assert_eq!(cors[header::ACCESS_CONTROL_ALLOW_METHODS], "POST, OPTIONS");
    steps
}

/// Runs the flow through the Lambda adapter and through the local server, and
/// compares them step by step.
async fn assert_lambda_and_local_server_agree(payload: Payload) {
    let sandbox = Sandbox::start(false).await.expect("the sandbox starts");

    let through_lambda = run_flow(&Transport::lambda(&sandbox), payload, &sandbox).await;
    let local = Transport::http(&sandbox).await;
    let through_http = run_flow(&local, payload, &sandbox).await;

    assert_eq!(through_lambda.len(), through_http.len());
    for (lambda, http) in through_lambda.iter().zip(&through_http) {
        let step = format!("{payload:?} {}", lambda.name);
        assert_eq!(lambda.answer.status, http.answer.status, "{step}: status");
        assert_eq!(lambda.answer.shape(), http.answer.shape(), "{step}: shape");
        assert_eq!(
            lambda.answer.client_headers(),
            http.answer.client_headers(),
            "{step}: headers"
        );
    }
}

#[tokio::test]
async fn http_api_events_run_the_whole_flow_as_the_local_server_does() {
    assert_lambda_and_local_server_agree(Payload::V2).await;
}

#[tokio::test]
async fn rest_api_events_run_the_whole_flow_as_the_local_server_does() {
    assert_lambda_and_local_server_agree(Payload::V1).await;
}

#[test]
fn every_fixture_is_read_by_lambda_http_as_its_payload_format() {
    let values = Values {
        personal_token: "p".into(),
        mfa_token: "m".into(),
        code: "1".into(),
        recovery_code: "r".into(),
    };
    for payload in [Payload::V2, Payload::V1] {
        for (name, route) in FIXTURES {
            let case = format!("{payload:?} {name}");
            let json = event_json(payload, name, &values);
            assert!(!json.contains("__"), "{case}: a placeholder is left");

            let request = lambda_http::request::from_str(&json).expect(&case);

            let format_ok = matches!(
                (payload, request.request_context_ref()),
                (Payload::V2, Some(RequestContext::ApiGatewayV2(_)))
                    | (Payload::V1, Some(RequestContext::ApiGatewayV1(_)))
            );
            assert!(format_ok, "{case}: read as the other payload format");
            assert_eq!(Route::for_path(request.uri().path()), Some(route), "{case}");
            let username = request
                .path_parameters_ref()
                .and_then(|p| p.first("username"));
            assert_eq!(username, Some(DEMO_USER), "{case}");
            let expected = if name == "preflight" {
                Method::OPTIONS
            } else {
                Method::POST
            };
            assert_eq!(request.method(), expected, "{case}");
        }
    }
}

#[test]
fn a_base64_body_reaches_the_route_decoded() {
    for payload in [Payload::V2, Payload::V1] {
        let plain = event(payload, "login", &Values::default());
        let encoded = event(payload, "login-base64", &Values::default());

        let plain = pryv_mfa::lambda::into_route_request(plain);
        let encoded = pryv_mfa::lambda::into_route_request(encoded);

        assert_eq!(plain.body(), encoded.body(), "{payload:?}");
        let body: Value = serde_json::from_slice(encoded.body()).expect("JSON");
        assert_eq!(body["username"], DEMO_USER, "{payload:?}");
    }
}

#[test]
fn a_rest_api_event_keeps_its_stage_in_the_path_and_its_username_in_path_parameters() {
    let event = event(Payload::V1, "verify", &Values::default());

    // lambda_http puts the stage back in front of the resource path it was given.
    assert_eq!(event.raw_http_path(), "/demo-user/mfa/verify");
    assert_eq!(event.uri().path(), "/prod/demo-user/mfa/verify");
    // `headers` and `multiValueHeaders` both list every header; one value is kept.
    assert_eq!(event.headers().get_all(header::ORIGIN).iter().count(), 1);
    let request = pryv_mfa::lambda::into_route_request(event);

    let username = request.extensions().get::<PathUsername>().map(|u| &u.0);
    assert_eq!(username.map(String::as_str), Some(DEMO_USER));
    assert_eq!(Route::for_path(request.uri().path()), Some(Route::Verify));
}

#[tokio::test]
async fn the_username_of_the_path_parameters_wins_over_the_path() {
    let sandbox = Sandbox::start(false).await.expect("the sandbox starts");
    let ctx = Transport::context(&sandbox);
    for payload in [Payload::V2, Payload::V1] {
        // The sandbox core knows only demo-user: a login for another user is refused.
        let json = event_json(payload, "login", &Values::default()).replace(
            r#""username": "demo-user""#,
            r#""username": "someone-else""#,
        );
        let event = lambda_http::request::from_str(&json).expect("an event");
        assert!(event.uri().path().contains("/demo-user/"), "{payload:?}");

        let response = pryv_mfa::lambda::answer(&ctx, Route::Login, event).await;

        assert_eq!(response.status(), 401, "{payload:?}");
        let body = json_of(response.body().as_ref());
        assert_eq!(body["error"]["id"], "invalid-credentials", "{payload:?}");
    }
}

/// What `lambda_http::run` writes back to API Gateway for one event: the same
/// adapter it wraps the handler in, then the serialized response.
async fn serialized_answer(ctx: Arc<AppContext>, route: Route, json: &str) -> Value {
    let payload: lambda_http::request::LambdaRequest =
        serde_json::from_str(json).expect("an API Gateway event");
    let handler = lambda_http::service_fn(move |request: lambda_http::Request| {
        let ctx = Arc::clone(&ctx);
        async move {
            Ok::<_, std::convert::Infallible>(pryv_mfa::lambda::answer(&ctx, route, request).await)
        }
    });
    let mut adapter = lambda_http::Adapter::from(handler);
    let event = lambda_http::LambdaEvent::new(payload, lambda_http::Context::default());

    poll_fn(|cx| adapter.poll_ready(cx)).await.expect("ready");
    let response = adapter.call(event).await.expect("an answer");
    serde_json::to_value(response).expect("a serializable response")
}

#[tokio::test]
async fn the_cores_cookie_reaches_api_gateway_in_the_field_of_each_payload_format() {
    let sandbox = Sandbox::start(false).await.expect("the sandbox starts");
    let ctx = Transport::context(&sandbox);
    let cookie = "sso=sandbox; Path=/; HttpOnly";

    let v2 = event_json(Payload::V2, "login", &Values::default());
    let v2 = serialized_answer(Arc::clone(&ctx), Route::Login, &v2).await;
    let v1 = event_json(Payload::V1, "login", &Values::default());
    let v1 = serialized_answer(ctx, Route::Login, &v1).await;

    // HTTP API: cookies in their own field, out of the headers.
    assert_eq!(v2["statusCode"], 200);
    assert_eq!(v2["cookies"], serde_json::json!([cookie]));
    assert!(v2["headers"].get("set-cookie").is_none(), "{v2}");
    assert_eq!(v2["isBase64Encoded"], false);
    let body: Value =
        serde_json::from_str(v2["body"].as_str().expect("a text body")).expect("JSON");
    assert!(body["token"].is_string());
    // REST API: every header in multiValueHeaders, the cookie included.
    assert_eq!(v1["statusCode"], 200);
    assert_eq!(
        v1["multiValueHeaders"]["set-cookie"],
        serde_json::json!([cookie])
    );
    assert_eq!(
        v1["multiValueHeaders"]["access-control-allow-origin"],
        serde_json::json!(["https://sw.pryv.me"])
    );
    assert_eq!(v1["isBase64Encoded"], false);
}

#[tokio::test]
async fn a_preflight_event_answers_cors_in_both_payload_formats() {
    let sandbox = Sandbox::start(false).await.expect("the sandbox starts");
    let ctx = Transport::context(&sandbox);
    for payload in [Payload::V2, Payload::V1] {
        let event = event(payload, "preflight", &Values::default());

        let response = pryv_mfa::lambda::answer(&ctx, Route::Verify, event).await;

        assert_eq!(response.status(), 200, "{payload:?}");
        let headers = response.headers();
        assert_eq!(
            headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://sw.pryv.me"
        );
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        let allowed = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .expect("ASCII");
        assert!(allowed.contains("authorization") && allowed.contains("content-type"));
        assert!(matches!(response.body(), Body::Empty), "{payload:?}");
    }
}
