//! A minimal AWS Lambda Runtime API on loopback: what a function's runtime client
//! (`lambda_runtime`) talks to, so that a built function binary runs as it would on
//! Lambda, one event at a time.
//!
//! It serves the four calls of the API's 2018-06-01 version: `invocation/next`
//! (held until an event is queued), `invocation/{id}/response`,
//! `invocation/{id}/error` and `init/error`. It also records the end of the cold start
//! (the function's first `next`) and whether the function reported an init error.
//!
//! Known limit: no extensions, telemetry, SnapStart (`restore/next`) or response
//! streaming; an event whose function dies is only seen as a timeout by its caller.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// How long [`RuntimeApi::invoke`] waits for an answer.
pub const DEFAULT_INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The time a function is given per event, sent as its deadline.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(60);

/// The ARN the events are addressed to (account and region are placeholders).
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:mfa-bench";

/// Where the function is in its life, as the Runtime API sees it.
#[derive(Clone, Debug)]
pub enum Lifecycle {
    /// Started, not yet asked for an event: still in its cold start.
    Starting,
    /// Asked for its first event at this instant: the cold start ended.
    Ready(Instant),
    /// Reported an init error at this instant instead of asking for events.
    InitFailed(Instant, FunctionError),
}

/// An error a function reported, on init or for an event.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionError {
    /// The `Lambda-Runtime-Function-Error-Type` header, when sent.
    pub error_type: Option<String>,
    /// The body: `{"errorType", "errorMessage"}` from `lambda_runtime`.
    pub body: Value,
}

/// What the function answered to one event.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The function's response payload (for `lambda_http`, the API Gateway response).
    Response(Value),
    /// The function failed the invocation.
    Error(FunctionError),
}

/// One answered event.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// The request id the event was handed out with.
    pub request_id: String,
    /// The answer.
    pub outcome: Outcome,
    /// When the answer reached the Runtime API (not when the caller woke up).
    pub answered_at: Instant,
}

impl Invocation {
    /// The response payload, or an error naming the function's failure.
    pub fn into_response(self) -> Result<Value, InvokeError> {
        match self.outcome {
            Outcome::Response(payload) => Ok(payload),
            Outcome::Error(error) => Err(InvokeError::Failed(error)),
        }
    }
}

/// Why an invocation has no response.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The function did not answer in time (it may have died).
    #[error("the function did not answer within {0:?}")]
    TimedOut(Duration),
    /// The function reported an error for the event.
    #[error("the function failed the invocation: {0:?}")]
    Failed(FunctionError),
}

/// Why a function never became ready.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The function reported an init error.
    #[error("the function reported an init error: {0:?}")]
    InitFailed(FunctionError),
    /// The function did not ask for an event in time.
    #[error("the function did not ask for an event within {0:?}")]
    TimedOut(Duration),
}

/// An event waiting for a function to take it.
struct Queued {
    request_id: String,
    event: Bytes,
}

/// The state shared by the API's handlers and its owner.
struct Shared {
    queue: mpsc::UnboundedSender<Queued>,
    // One `next` at a time takes events, as one Lambda execution environment does.
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<(Outcome, Instant)>>>,
    lifecycle: watch::Sender<Lifecycle>,
    next_id: AtomicU64,
}

/// A running Runtime API stand-in; it stops when dropped.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts the API on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let (queue, events) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue,
            events: tokio::sync::Mutex::new(events),
            waiting: Mutex::new(HashMap::new()),
            lifecycle: watch::Sender::new(Lifecycle::Starting),
            next_id: AtomicU64::new(1),
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            // The server ends with its task: an error here only means it stopped.
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self {
            addr,
            shared,
            server,
        })
    }

    /// Where it listens: the function's `AWS_LAMBDA_RUNTIME_API` (as `host:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues an event and waits up to [`DEFAULT_INVOKE_TIMEOUT`] for its answer.
    pub async fn invoke(&self, event: Value) -> Result<Invocation, InvokeError> {
        self.invoke_within(event, DEFAULT_INVOKE_TIMEOUT).await
    }

    /// Queues an event and waits up to `timeout` for its answer.
    pub async fn invoke_within(
        &self,
        event: Value,
        timeout: Duration,
    ) -> Result<Invocation, InvokeError> {
        let number = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let request_id = format!("00000000-0000-4000-8000-{number:012}");
        let (answer, answered) = oneshot::channel();
        lock(&self.shared.waiting).insert(request_id.clone(), answer);
        let queued = Queued {
            request_id: request_id.clone(),
            event: Bytes::from(event.to_string()),
        };
        // The receiver lives in `shared`, as long as `self`: sending cannot fail.
        let _ = self.shared.queue.send(queued);
        match tokio::time::timeout(timeout, answered).await {
            Ok(Ok((outcome, answered_at))) => Ok(Invocation {
                request_id,
                outcome,
                answered_at,
            }),
            _ => {
                lock(&self.shared.waiting).remove(&request_id);
                Err(InvokeError::TimedOut(timeout))
            }
        }
    }

    /// Where the function is now: starting, ready (since when) or failed at init.
    pub fn lifecycle(&self) -> Lifecycle {
        self.shared.lifecycle.borrow().clone()
    }

    /// When the function first asked for an event (the end of its cold start).
    pub fn ready_at(&self) -> Option<Instant> {
        match self.lifecycle() {
            Lifecycle::Ready(at) => Some(at),
            _ => None,
        }
    }

    /// The init error the function reported, if it did.
    pub fn init_error(&self) -> Option<FunctionError> {
        match self.lifecycle() {
            Lifecycle::InitFailed(_, error) => Some(error),
            _ => None,
        }
    }

    /// Waits until the function asks for its first event, and tells when it did.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<Instant, StartError> {
        let mut changes = self.shared.lifecycle.subscribe();
        let settled = changes.wait_for(|state| !matches!(state, Lifecycle::Starting));
        let state = match tokio::time::timeout(timeout, settled).await {
            Ok(Ok(state)) => state.clone(),
            _ => return Err(StartError::TimedOut(timeout)),
        };
        match state {
            Lifecycle::Ready(at) => Ok(at),
            Lifecycle::InitFailed(_, error) => Err(StartError::InitFailed(error)),
            Lifecycle::Starting => Err(StartError::TimedOut(timeout)),
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Locks a map whose holders never panic while holding it; a poisoned lock is still
/// consistent (every change is one insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `GET invocation/next`: marks the cold start's end, then waits for an event.
async fn next(State(shared): State<Arc<Shared>>) -> Response {
    shared.lifecycle.send_if_modified(|state| {
        let first = matches!(state, Lifecycle::Starting);
        if first {
            *state = Lifecycle::Ready(Instant::now());
        }
        first
    });
    let queued = shared.events.lock().await.recv().await;
    let Some(Queued { request_id, event }) = queued else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let deadline = SystemTime::now()
        .checked_add(FUNCTION_TIMEOUT)
        .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_millis());
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    put("lambda-runtime-aws-request-id", request_id);
    put("lambda-runtime-deadline-ms", deadline.to_string());
    put("lambda-runtime-invoked-function-arn", FUNCTION_ARN.into());
    put(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    put("content-type", "application/json".into());
    (StatusCode::OK, headers, event).into_response()
}

/// `POST invocation/{id}/response`.
async fn respond(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let payload = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    settle(&shared, &id, Outcome::Response(payload))
}

/// `POST invocation/{id}/error`.
async fn fail(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    settle(
        &shared,
        &id,
        Outcome::Error(function_error(&headers, &body)),
    )
}

/// `POST init/error`: the function could not start.
async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error = function_error(&headers, &body);
    shared
        .lifecycle
        .send_replace(Lifecycle::InitFailed(Instant::now(), error));
    accepted()
}

fn settle(shared: &Shared, id: &str, outcome: Outcome) -> Response {
    let answered_at = Instant::now();
    match lock(&shared.waiting).remove(id) {
        Some(waiter) => {
            // The caller may have timed out and gone: the answer is then dropped.
            let _ = waiter.send((outcome, answered_at));
            accepted()
        }
        None => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "errorType": "InvalidRequestID",
                "errorMessage": "no invocation waits for this request id",
            })),
        )
            .into_response(),
    }
}

fn function_error(headers: &HeaderMap, body: &[u8]) -> FunctionError {
    FunctionError {
        error_type: headers
            .get("lambda-runtime-function-error-type")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned())),
    }
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, axum::Json(json!({ "status": "OK" }))).into_response()
}
