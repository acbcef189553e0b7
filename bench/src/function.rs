//! A function binary run as Lambda runs it: a child process with the Lambda
//! environment, polling its own [`RuntimeApi`] stand-in. The process is killed when the
//! handle is dropped, a failed test included.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::runtime_api::{Invocation, InvokeError, RuntimeApi, StartError};

/// The environment Lambda gives every function, for a function named `name`, with
/// `runtime_api` as `AWS_LAMBDA_RUNTIME_API`. `lambda_runtime` refuses to start
/// without the name, memory size and version.
pub fn lambda_environment(name: &str, runtime_api: &RuntimeApi) -> BTreeMap<String, String> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.addr().to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", format!("{name}/local")),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}

/// The path of a workspace binary in the profile directory that holds the running
/// executable: `target/debug/deps/<test>` or `target/release/<bench>` both give
/// `target/<profile>/<name>`. `None` when it has not been built.
pub fn sibling_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let mut dir = exe.parent()?;
    if dir.file_name().is_some_and(|last| last == "deps") {
        dir = dir.parent()?;
    }
    let path = dir.join(name);
    path.is_file().then_some(path)
}

/// A running function process and its Runtime API.
pub struct FunctionProcess {
    api: RuntimeApi,
    child: Child,
    started_at: Instant,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

impl FunctionProcess {
    /// Starts `binary` with exactly `env` (nothing inherited) plus the Lambda
    /// environment of its own, new Runtime API stand-in.
    pub async fn spawn(
        binary: &Path,
        name: &str,
        env: &BTreeMap<String, String>,
    ) -> std::io::Result<Self> {
        let api = RuntimeApi::start().await?;
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(lambda_environment(name, &api))
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started_at = Instant::now();
        let mut child = command.spawn()?;
        let (stdout, stdout_reader) = collect(child.stdout.take());
        let (stderr, stderr_reader) = collect(child.stderr.take());
        Ok(Self {
            api,
            child,
            started_at,
            stdout,
            stderr,
            readers: [stdout_reader, stderr_reader]
                .into_iter()
                .flatten()
                .collect(),
        })
    }

    /// The Runtime API the process polls.
    pub fn api(&self) -> &RuntimeApi {
        &self.api
    }

    /// When the process was spawned.
    pub fn started_at(&self) -> Instant {
        self.started_at
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Hands one event to the function and waits for its answer.
    pub async fn invoke(&self, event: Value) -> Result<Invocation, InvokeError> {
        self.api.invoke(event).await
    }

    /// Waits until the function asks for its first event (its cold start is over).
    pub async fn wait_ready(&self, timeout: Duration) -> Result<Instant, StartError> {
        self.api.wait_ready(timeout).await
    }

    /// Waits up to `timeout` for the process to end by itself, then for its output
    /// to be read to the end.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let status = tokio::time::timeout(timeout, self.child.wait())
            .await
            .ok()
            .and_then(Result::ok)?;
        for reader in self.readers.drain(..) {
            // The pipes close with the process; a grandchild holding them is not waited for.
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
        Some(status)
    }

    /// What the process wrote to stdout so far (`lambda_runtime` logs there).
    pub fn stdout(&self) -> String {
        text(&self.stdout)
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        text(&self.stderr)
    }

    /// The process's peak resident memory (`VmHWM` in `/proc/<pid>/status`), in KiB.
    pub fn peak_rss_kib(&self) -> std::io::Result<u64> {
        let pid = self
            .pid()
            .ok_or_else(|| std::io::Error::other("the process has ended"))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| std::io::Error::other("no VmHWM line in /proc/<pid>/status"))
    }

    /// Kills the process and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Reads a pipe to its end in the background, so that the child never blocks on a
/// full pipe, and keeps what it read.
fn collect(
    pipe: Option<impl AsyncRead + Unpin + Send + 'static>,
) -> (Arc<Mutex<Vec<u8>>>, Option<JoinHandle<()>>) {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let reader = pipe.map(|mut pipe| {
        let sink = Arc::clone(&kept);
        tokio::spawn(async move {
            let mut chunk = [0_u8; 8192];
            while let Ok(read) = pipe.read(&mut chunk).await {
                if read == 0 {
                    break;
                }
                if let Ok(mut kept) = sink.lock() {
                    kept.extend_from_slice(&chunk[..read]);
                }
            }
        })
    });
    (kept, reader)
}

fn text(buffer: &Mutex<Vec<u8>>) -> String {
    buffer
        .lock()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}
