//! `mfa-bench`: measures the release builds of the functions and of the local server
//! on loopback, and prints the results as markdown (`bench/run.sh` builds them, starts
//! the local DynamoDB API server and runs this).
//!
//! Loopback only: the sandbox core and messaging endpoint, the fakes of
//! [`mfa_bench::fakes`], and the DynamoDB API server named by
//! `AWS_ENDPOINT_URL_DYNAMODB`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use mfa_bench::events::{HttpApiEvent, HttpApiResponse};
use mfa_bench::fakes;
use mfa_bench::function::{sibling_binary, FunctionProcess};
use mfa_bench::load::{LoadResult, LoadRun};
use mfa_bench::sandbox::{Sandbox, DEMO_PASSWORD, DEMO_USER};
use pryv_mfa::store::DynamoDbStore;
use serde_json::json;

/// Cold starts per function.
const COLD_STARTS: usize = 20;
/// Invocations before reading a function's peak memory.
const MEMORY_INVOCATIONS: usize = 1000;
/// Concurrent connections of every load run.
const CONNECTIONS: u32 = 4;
/// Length of every load run.
const LOAD_DURATION: Duration = Duration::from_secs(10);
/// The function binaries, by route.
const FUNCTIONS: [&str; 7] = [
    "login",
    "activate",
    "confirm",
    "challenge",
    "verify",
    "deactivate",
    "recover",
];

/// A data key for the benchmark's table only.
const BENCH_DATA_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let work = std::env::temp_dir().join(format!("mfa-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = run(&work).await;
    let _ = std::fs::remove_dir_all(&work);
    print!("{}", result?);
    Ok(())
}

async fn run(work: &Path) -> anyhow::Result<String> {
    let lambda = LambdaStack::start(work).await?;
    eprintln!("mfa-bench: cold starts ({COLD_STARTS} per function)");
    let cold_login = cold_starts(&lambda, "login", login_event()).await?;
    let cold_verify = cold_starts(&lambda, "verify", unknown_verify_event()).await?;
    eprintln!("mfa-bench: memory ({MEMORY_INVOCATIONS} invocations per function)");
    let memory_login = peak_memory(&lambda, "login", login_event()).await?;
    let memory_verify = peak_memory(&lambda, "verify", unknown_verify_event()).await?;
    eprintln!("mfa-bench: request overhead (wrk, {CONNECTIONS} connections)");
    let overhead = request_overhead(work).await?;
    eprintln!("mfa-bench: package sizes");
    let sizes = package_sizes(work)?;

    let mut out = String::new();
    writeln!(out, "# Benchmark results\n")?;
    writeln!(out, "{}\n", machine()?)?;
    writeln!(
        out,
        "Produced by `bash bench/run.sh` (release builds, loopback only).\n"
    )?;
    write_cold_starts(
        &mut out,
        &[("login", &cold_login), ("verify", &cold_verify)],
    )?;
    write_overhead(&mut out, &overhead)?;
    write_memory(
        &mut out,
        &[("login", memory_login), ("verify", memory_verify)],
    )?;
    write_sizes(&mut out, &sizes)?;
    Ok(out)
}

/// The sandbox, a table on the local DynamoDB API server and a configuration file:
/// what the function binaries run against.
struct LambdaStack {
    // Owned for the stack's lifetime: its listeners serve the functions.
    _sandbox: Sandbox,
    env: BTreeMap<String, String>,
}

impl LambdaStack {
    async fn start(work: &Path) -> anyhow::Result<Self> {
        let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
            .context("AWS_ENDPOINT_URL_DYNAMODB: run bench/run.sh (it starts moto)")?;
        if !endpoint.starts_with("http://127.0.0.1:") {
            bail!("AWS_ENDPOINT_URL_DYNAMODB must be on loopback, not {endpoint}");
        }
        let sandbox = Sandbox::start(false).await?;
        let table = format!("mfa-bench-{}", std::process::id());
        DynamoDbStore::from_env(table.clone())
            .await
            .create_table_if_missing()
            .await
            .context("creating the benchmark table")?;
        let config = work.join("lambda.yaml");
        std::fs::write(&config, sandbox_yaml(&sandbox))?;
        let env = [
            ("MFA_CONFIG_FILE", config.display().to_string()),
            ("MFA_TABLE", table),
            ("MFA_DATA_KEY", BENCH_DATA_KEY.to_owned()),
            ("AWS_ENDPOINT_URL_DYNAMODB", endpoint),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        Ok(Self {
            _sandbox: sandbox,
            env,
        })
    }

    async fn spawn(&self, route: &str) -> anyhow::Result<FunctionProcess> {
        let name = format!("mfa-{route}");
        let binary = sibling_binary(&name)
            .with_context(|| format!("{name} is not built: run bench/run.sh"))?;
        Ok(FunctionProcess::spawn(&binary, &name, &self.env).await?)
    }
}

fn sandbox_yaml(sandbox: &Sandbox) -> String {
    format!(
        r#"core:
  url: '{core}'
sms:
  mode: 'single'
  endpoints:
    single:
      url: '{messaging}'
      method: 'POST'
      body: '{{"destination":"{{{{ phone }}}}","message":"Your code is {{{{ code }}}}"}}'
      headers:
        'content-type': 'application/json'
"#,
        core = sandbox.core_url,
        messaging = sandbox.messaging_url,
    )
}

/// A login of the sandbox's user, who has no MFA: the core's answer comes back.
fn login_event() -> serde_json::Value {
    let credentials = json!({ "username": DEMO_USER, "password": DEMO_PASSWORD, "appId": "bench" });
    HttpApiEvent::post(DEMO_USER, "auth/login")
        .json(&credentials)
        .to_json()
}

/// A verify with an mfaToken nobody issued: refused after a store read.
fn unknown_verify_event() -> serde_json::Value {
    HttpApiEvent::post(DEMO_USER, "mfa/verify")
        .authorization(&"0".repeat(64))
        .json(&json!({ "code": "123456" }))
        .to_json()
}

/// One cold start: to the first `next` (init) and to the first response.
struct ColdStart {
    init: Duration,
    first_response: Duration,
    status: u16,
}

async fn cold_starts(
    stack: &LambdaStack,
    route: &str,
    event: serde_json::Value,
) -> anyhow::Result<Vec<ColdStart>> {
    let mut starts = Vec::with_capacity(COLD_STARTS);
    for _ in 0..COLD_STARTS {
        let function = stack.spawn(route).await?;
        let invocation = function.invoke(event.clone()).await;
        let ready = function.api().ready_at();
        let stderr = function.stderr();
        let started = function.started_at();
        function.stop().await;
        let invocation = invocation.with_context(|| format!("mfa-{route}: {stderr}"))?;
        let answered_at = invocation.answered_at;
        let response = HttpApiResponse::parse(&invocation.into_response()?)?;
        starts.push(ColdStart {
            init: ready.context("no poll before the answer")? - started,
            first_response: answered_at - started,
            status: response.status,
        });
    }
    Ok(starts)
}

/// Peak resident memory (KiB) after [`MEMORY_INVOCATIONS`] invocations.
async fn peak_memory(
    stack: &LambdaStack,
    route: &str,
    event: serde_json::Value,
) -> anyhow::Result<u64> {
    let function = stack.spawn(route).await?;
    for _ in 0..MEMORY_INVOCATIONS {
        let payload = function.invoke(event.clone()).await?.into_response()?;
        HttpApiResponse::parse(&payload)?;
    }
    let peak = function.peak_rss_kib()?;
    function.stop().await;
    Ok(peak)
}

/// The four load runs: through the local server, and straight to the fakes.
struct Overhead {
    login_service: LoadResult,
    login_direct: LoadResult,
    cycle_service: LoadResult,
    cycle_direct: LoadResult,
}

async fn request_overhead(work: &Path) -> anyhow::Result<Overhead> {
    let fakes = fakes::start().await?;
    let config = work.join("local.yaml");
    std::fs::write(&config, challenge_verify_yaml(fakes))?;
    let local = LocalServer::start(&config).await?;
    local.activate_mfa("bench-mfa").await?;

    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("wrk");
    let login_script = scripts.join("login.lua");
    let cycle_script = scripts.join("mfa_cycle.lua");
    let run = |url: String, script: &Path, args: &[&str]| {
        LoadRun {
            url,
            script,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            connections: CONNECTIONS,
            duration: LOAD_DURATION,
        }
        .run()
    };
    let service = format!("http://{}", local.addr);
    let direct = format!("http://{fakes}");
    let cycle = [
        "/bench-mfa/auth/login",
        "/bench-mfa/mfa/challenge",
        "/bench-mfa/mfa/verify",
    ];
    let direct_cycle = [
        "/bench-mfa/auth/login",
        fakes::CHALLENGE_PATH,
        fakes::VERIFY_PATH,
    ];
    let overhead = Overhead {
        login_service: run(service.clone(), &login_script, &["/bench-plain/auth/login"])?,
        login_direct: run(direct.clone(), &login_script, &["/bench-plain/auth/login"])?,
        cycle_service: run(service, &cycle_script, &cycle)?,
        cycle_direct: run(direct, &cycle_script, &direct_cycle)?,
    };
    local.stop().await;
    Ok(overhead)
}

/// The local server's configuration for the load runs: challenge-verify mode against
/// the fakes, every limit that a repeated send or verify would hit turned off.
fn challenge_verify_yaml(fakes: std::net::SocketAddr) -> String {
    format!(
        r#"core:
  url: 'http://{fakes}/'
sms:
  mode: 'challenge-verify'
  endpoints:
    challenge:
      url: 'http://{fakes}{challenge}'
      method: 'POST'
      body: '{{"phone":"{{{{ phone }}}}"}}'
      headers:
        'content-type': 'application/json'
    verify:
      url: 'http://{fakes}{verify}'
      method: 'POST'
      body: '{{"phone":"{{{{ phone }}}}","code":"{{{{ code }}}}"}}'
      headers:
        'content-type': 'application/json'
limits:
  attemptsPerSession: 100
  failuresPerUserPerHour: 0
  sendIntervalSeconds: 0
  sendsPerUserPerHour: 0
  sendsPerDestinationPerDay: 0
"#,
        challenge = fakes::CHALLENGE_PATH,
        verify = fakes::VERIFY_PATH,
    )
}

/// The release `mfa-local` on a free port, in-memory store.
struct LocalServer {
    addr: std::net::SocketAddr,
    child: tokio::process::Child,
}

impl LocalServer {
    async fn start(config: &Path) -> anyhow::Result<Self> {
        let binary = sibling_binary("mfa-local").context("mfa-local is not built")?;
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = tokio::process::Command::new(binary)
            .env_clear()
            .arg("--config")
            .arg(config)
            .arg("--listen")
            .arg(addr.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            if Instant::now() > deadline {
                bail!("mfa-local did not listen on {addr}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self { addr, child })
    }

    /// Activates MFA for `user` (activate, then confirm with any code: the fake
    /// provider accepts every code).
    async fn activate_mfa(&self, user: &str) -> anyhow::Result<()> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let base = format!("http://{}/{user}", self.addr);
        let login = json!({ "username": user, "password": fakes::PASSWORD, "appId": "bench" });
        let answer: serde_json::Value = client
            .post(format!("{base}/auth/login"))
            .json(&login)
            .send()
            .await?
            .json()
            .await?;
        let personal = answer["token"].as_str().context("no personal token")?;
        let answer: serde_json::Value = client
            .post(format!("{base}/mfa/activate"))
            .header("authorization", personal)
            .json(&json!({ "phone": "+41790000000" }))
            .send()
            .await?
            .json()
            .await?;
        let mfa_token = answer["mfaToken"]
            .as_str()
            .context("activate: no mfaToken")?;
        let status = client
            .post(format!("{base}/mfa/confirm"))
            .header("authorization", mfa_token)
            .json(&json!({ "code": "123456" }))
            .send()
            .await?
            .status();
        if !status.is_success() {
            bail!("confirm answered {status}");
        }
        Ok(())
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Each function's release binary zipped as `bootstrap`, as Lambda's custom runtime
/// wants it, in bytes.
fn package_sizes(work: &Path) -> anyhow::Result<Vec<(String, u64, u64)>> {
    FUNCTIONS
        .iter()
        .map(|route| {
            let name = format!("mfa-{route}");
            let binary = sibling_binary(&name).with_context(|| format!("{name} is not built"))?;
            let zip = work.join(format!("{name}.zip"));
            zip_as_bootstrap(&binary, &zip)?;
            let raw = std::fs::metadata(&binary)?.len();
            Ok((name, raw, std::fs::metadata(&zip)?.len()))
        })
        .collect()
}

fn zip_as_bootstrap(binary: &Path, zip: &Path) -> anyhow::Result<()> {
    let script = "import sys, zipfile\n\
                  with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:\n    \
                  z.write(sys.argv[1], 'bootstrap')\n";
    let status = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(binary)
        .arg(zip)
        .status()
        .context("running python3 to zip")?;
    if !status.success() {
        bail!("zipping {} failed", binary.display());
    }
    Ok(())
}

fn machine() -> anyhow::Result<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let arch = std::env::consts::ARCH;
    let kernel = command_line("uname", &["-r"]);
    Ok(format!(
        "Machine: {cores} cores (`nproc`), {model}, {arch}, Linux {kernel}. Run: {date}."
    ))
}

fn command_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn median_and_max(mut values: Vec<Duration>) -> (Duration, Duration) {
    values.sort();
    let median = values.get(values.len() / 2).copied().unwrap_or_default();
    let max = values.last().copied().unwrap_or_default();
    (median, max)
}

fn ratio(measured: f64, target: f64) -> String {
    format!("{:.2}× target", measured / target)
}

fn write_cold_starts(out: &mut String, runs: &[(&str, &Vec<ColdStart>)]) -> anyhow::Result<()> {
    writeln!(out, "## 1. Cold start (target: under 30 ms)\n")?;
    writeln!(
        out,
        "From process start to the first `next` poll (init) and to the first response, \
         through the Runtime API stand-in on loopback, {COLD_STARTS} starts each, \
         configuration from a file. The first request reads the store (moto, a Python \
         server on loopback) and, for login, calls the sandbox core.\n"
    )?;
    writeln!(
        out,
        "| function | event (status) | init median | init max | first response median | first response max | ratio (max / 30 ms) |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for (route, starts) in runs {
        let status = starts.first().map_or(0, |s| s.status);
        let event = if *route == "login" {
            "login, user without MFA"
        } else {
            "verify, unknown mfaToken"
        };
        let (init_median, init_max) = median_and_max(starts.iter().map(|s| s.init).collect());
        let (first_median, first_max) =
            median_and_max(starts.iter().map(|s| s.first_response).collect());
        writeln!(
            out,
            "| mfa-{route} | {event} ({status}) | {} | {} | {} | {} | {} |",
            ms(init_median),
            ms(init_max),
            ms(first_median),
            ms(first_max),
            ratio(first_max.as_secs_f64() * 1000.0, 30.0)
        )?;
    }
    writeln!(out)?;
    Ok(())
}

fn write_memory(out: &mut String, runs: &[(&str, u64)]) -> anyhow::Result<()> {
    writeln!(out, "## 3. Memory (target: under 25 MB)\n")?;
    writeln!(
        out,
        "Peak resident memory (`VmHWM`) of one function process after \
         {MEMORY_INVOCATIONS} invocations through the stand-in.\n"
    )?;
    writeln!(out, "| function | event | peak RSS | ratio |")?;
    writeln!(out, "|---|---|---|---|")?;
    for (route, kib) in runs {
        let mb = *kib as f64 / 1024.0;
        let event = if *route == "login" {
            "login, user without MFA"
        } else {
            "verify, unknown mfaToken"
        };
        writeln!(
            out,
            "| mfa-{route} | {event} | {mb:.1} MiB | {} |",
            ratio(mb, 25.0)
        )?;
    }
    writeln!(out)?;
    Ok(())
}

fn write_overhead(out: &mut String, o: &Overhead) -> anyhow::Result<()> {
    writeln!(
        out,
        "## 2. Request overhead (target: the service adds under 1 ms at p99)\n"
    )?;
    writeln!(
        out,
        "wrk, {CONNECTIONS} connections (one thread each), {}s per run, against the release \
         `mfa-local` (in-memory store) and, as the baseline, the same load straight to the \
         fakes (core and provider on one loopback port, answering at once); the server logs its \
         one line per request (info) to /dev/null. Everything \
         shares the machine's cores. The MFA cycle is login (an mfaToken) → challenge → \
         verify on one connection; straight to the fakes it is core login → provider \
         challenge → provider verify; latencies are per request. For the cycle the \
         service runs in challenge-verify mode with the send and failure limits turned \
         off (0) and 100 attempts per session, so that the repeated sends are not refused.\n",
        LOAD_DURATION.as_secs()
    )?;
    writeln!(
        out,
        "| load | target | requests/s | p50 | p99 | non-2xx/3xx | p99 added | ratio |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    for (name, service, direct) in [
        ("login, MFA off", &o.login_service, &o.login_direct),
        (
            "MFA login: login + challenge + verify",
            &o.cycle_service,
            &o.cycle_direct,
        ),
    ] {
        let added = service.p99.as_secs_f64() - direct.p99.as_secs_f64();
        for (target, result) in [("service", service), ("fakes straight", direct)] {
            let (added_cell, ratio_cell) = if target == "service" {
                (
                    format!("{:.2} ms", added * 1000.0),
                    ratio(added * 1000.0, 1.0),
                )
            } else {
                (String::new(), String::new())
            };
            writeln!(
                out,
                "| {name} | {target} | {:.0} | {} | {} | {} of {} | {added_cell} | {ratio_cell} |",
                result.requests_per_second,
                ms(result.p50),
                ms(result.p99),
                result.failures,
                result.requests,
            )?;
        }
    }
    writeln!(out)?;
    Ok(())
}

fn write_sizes(out: &mut String, sizes: &[(String, u64, u64)]) -> anyhow::Result<()> {
    let arch = std::env::consts::ARCH;
    writeln!(out, "## 4. Package size (target: under 6 MB)\n")?;
    writeln!(
        out,
        "Each release binary ({arch}, built by `bench/run.sh`) zipped as `bootstrap` \
         (deflate), a check of the build this benchmark ran. The deployable arm64 \
         packages come from `bash scripts/package.sh` (cargo-lambda); its table is in \
         the README.\n"
    )?;
    writeln!(out, "| function | binary | zip | ratio |")?;
    writeln!(out, "|---|---|---|---|")?;
    for (name, raw, zip) in sizes {
        let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
        writeln!(
            out,
            "| {name} | {:.2} MB | {:.2} MB | {} |",
            mb(*raw),
            mb(*zip),
            ratio(mb(*zip), 6.0)
        )?;
    }
    writeln!(out)?;
    Ok(())
}
