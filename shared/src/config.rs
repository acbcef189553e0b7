//! The operator's configuration: one typed value, parsed and checked once per cold
//! start.
//!
//! STUB: the types below are fixed; parsing and validation are written in their own
//! change.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::templates::Endpoint;

/// The whole configuration of the service.
#[derive(Clone, Debug)]
pub struct Config {
    /// The Pryv core's base URL; `PRYV_CORE_URL` overrides it.
    pub core_url: Option<Url>,
    /// The MFA mode and its endpoints.
    pub mode: ModeConfig,
    /// Codes generated in single mode.
    pub code: CodeSettings,
    /// Pending sessions.
    pub sessions: SessionSettings,
    /// Abuse limits.
    pub limits: Limits,
    /// Deactivation settings.
    pub deactivate: DeactivateSettings,
    /// The status that announces an mfaToken (302 or 200).
    pub mfa_token_status: MfaTokenStatus,
    /// Timeouts on every call to the core and the provider.
    pub timeouts: Timeouts,
    /// The key sealing users' MFA data at rest (32 bytes, base64 in the file).
    pub data_key: Option<SecretString>,
    /// Things worth a warning at start-up (ignored keys, endpoints without a rule).
    pub warnings: Vec<String>,
}

/// The two MFA modes, each with its endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeConfig {
    /// The service generates the code, sends it, and checks it.
    Single {
        /// The send template.
        single: Endpoint,
    },
    /// The provider generates, sends and checks the code.
    ChallengeVerify {
        /// Asks the provider to send a code.
        challenge: Endpoint,
        /// Forwards the user's code to the provider.
        verify: Endpoint,
    },
}

/// Codes generated in single mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeSettings {
    /// Digits per code (4 to 10; default 6).
    pub length: u8,
    /// How long a code is valid (default 300 s).
    pub ttl: Duration,
}

/// Pending sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionSettings {
    /// How long an mfaToken is valid (default 1800 s).
    pub ttl: Duration,
}

/// Abuse limits; 0 turns a limit off, except `attempts_per_session`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wrong codes per session before it dies (default 5).
    pub attempts_per_session: u32,
    /// Failed codes per user per hour before backoff (default 10).
    pub failures_per_user_per_hour: u32,
    /// Seconds between two sends of one session (default 30).
    pub send_interval: Duration,
    /// Sends per user per hour (default 5).
    pub sends_per_user_per_hour: u32,
    /// Sends per destination per day (default 10).
    pub sends_per_destination_per_day: u32,
    /// Allowed destination prefixes; empty allows all.
    pub destination_prefixes: Vec<String>,
}

/// Deactivation settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeactivateSettings {
    /// Also require the password or a current code (default off).
    pub require_step_up: bool,
}

/// The status that announces an mfaToken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MfaTokenStatus {
    /// `302`, as the original service and app-web-auth3 expect (default).
    Found,
    /// `200`, as Pryv's JavaScript library and Pryv v2 expect.
    Ok,
}

/// Timeouts on every outbound call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting (default 2 s).
    pub connect: Duration,
    /// The whole call (default 8 s).
    pub total: Duration,
}

/// A configuration that cannot work: the field and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    /// The dotted path of the field, as the operator wrote it.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Where the configuration comes from.
#[derive(Clone, Debug)]
pub enum ConfigSource {
    /// A YAML or JSON file.
    File(PathBuf),
    /// YAML or JSON text, e.g. from an environment variable.
    Inline(String),
}

impl ConfigSource {
    /// STUB: the source named by the environment.
    pub fn from_env() -> Option<Self> {
        None
    }
}

impl Config {
    /// STUB: the embedded sandbox configuration.
    pub fn embedded_default() -> Self {
        Self {
            core_url: None,
            mode: ModeConfig::Single {
                single: Endpoint {
                    url: crate::templates::Template::parse("http://127.0.0.1:7001/messages")
                        .unwrap(),
                    method: http::Method::POST,
                    body: None,
                    headers: vec![],
                    success: None,
                },
            },
            code: CodeSettings {
                length: 6,
                ttl: Duration::from_secs(300),
            },
            sessions: SessionSettings {
                ttl: Duration::from_secs(1800),
            },
            limits: Limits {
                attempts_per_session: 5,
                failures_per_user_per_hour: 10,
                send_interval: Duration::from_secs(30),
                sends_per_user_per_hour: 5,
                sends_per_destination_per_day: 10,
                destination_prefixes: vec![],
            },
            deactivate: DeactivateSettings {
                require_step_up: false,
            },
            mfa_token_status: MfaTokenStatus::Found,
            timeouts: Timeouts {
                connect: Duration::from_secs(2),
                total: Duration::from_secs(8),
            },
            data_key: None,
            warnings: vec![],
        }
    }

    /// Parses and checks a YAML or JSON document in any of the three shapes.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let _ = text;
        Err(ConfigError {
            field: "(root)".into(),
            message: "not written yet".into(),
        })
    }

    /// Reads and parses a configuration from its source.
    pub fn load(source: &ConfigSource) -> Result<Self, ConfigError> {
        match source {
            ConfigSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                    field: path.display().to_string(),
                    message: format!("cannot read: {e}"),
                })?;
                Self::parse(&text)
            }
            ConfigSource::Inline(text) => Self::parse(text),
        }
    }
}
