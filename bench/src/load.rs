//! Load runs with wrk, and the figures read from its report.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context as _};

/// What one wrk run measured.
#[derive(Clone, Debug)]
pub struct LoadResult {
    /// Requests per second.
    pub requests_per_second: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Answers that were neither 2xx nor 3xx.
    pub failures: u64,
    /// Requests completed.
    pub requests: u64,
}

/// One load run: `connections` connections, each on its own thread, for `duration`.
#[derive(Clone, Debug)]
pub struct LoadRun<'a> {
    /// The base URL (scheme, host, port).
    pub url: String,
    /// The wrk Lua script.
    pub script: &'a Path,
    /// The script's arguments.
    pub args: Vec<String>,
    /// Concurrent connections (one thread each).
    pub connections: u32,
    /// How long.
    pub duration: Duration,
}

impl LoadRun<'_> {
    /// Runs wrk and reads its report.
    pub fn run(&self) -> anyhow::Result<LoadResult> {
        let output = Command::new("wrk")
            .arg(format!("-t{}", self.connections))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}s", self.duration.as_secs()))
            .arg("--latency")
            .arg("-s")
            .arg(self.script)
            .arg(&self.url)
            .arg("--")
            .args(&self.args)
            .output()
            .context("running wrk (install it: apt-get install wrk)")?;
        let report = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        parse_report(&report).with_context(|| format!("reading wrk's report:\n{report}"))
    }
}

/// Reads requests/s, the 50 % and 99 % latencies and the failures from wrk's report.
pub fn parse_report(report: &str) -> anyhow::Result<LoadResult> {
    let field = |prefix: &str| {
        report
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(str::trim)
    };
    let requests_per_second = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .context("no Requests/sec")?;
    let p50 = field("50%").and_then(duration).context("no 50% latency")?;
    let p99 = field("99%").and_then(duration).context("no 99% latency")?;
    let failures = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let requests = report
        .lines()
        .find(|line| line.contains("requests in"))
        .and_then(|line| line.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no request count")?;
    Ok(LoadResult {
        requests_per_second,
        p50,
        p99,
        failures,
        requests,
    })
}

/// wrk's durations: `512.00us`, `1.23ms`, `2.00s`, `1.00m`.
fn duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_figures_of_a_wrk_report() {
        let report = "Running 10s test @ http://127.0.0.1:1\n  Latency Distribution\n     50%  \
                      512.00us\n     75%    1.00ms\n     90%    1.50ms\n     99%    2.25ms\n  \
                      12345 requests in 10.00s, 1.00MB read\n  Non-2xx or 3xx responses: 3\n\
                      Requests/sec:   1234.50\nTransfer/sec:    100.00KB\n";

        let result = parse_report(report).expect("a report");

        assert_eq!(result.p50, Duration::from_micros(512));
        assert_eq!(result.p99, Duration::from_micros(2250));
        assert_eq!(result.requests, 12345);
        assert_eq!(result.failures, 3);
        assert!((result.requests_per_second - 1234.5).abs() < 1e-9);
    }
}
