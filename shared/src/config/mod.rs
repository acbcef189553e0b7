//! The operator's configuration: one typed value, parsed and checked once per cold
//! start.
//!
//! [`Config::parse`] takes YAML or JSON in any of the three shapes operators already
//! have, told apart by their keys: the old service's file (`core.url`,
//! `sms.{mode, endpoints}`, settings at the top), the admin panel's JSON (`single`, or
//! `challenge` + `verify`, at the top; mode inferred) and Pryv v2's block
//! (`services.mfa.{mode, sms.endpoints, ...settings}`). `core.url` sits at the top in
//! every shape; `http` and `logs` there are ignored with a warning. It refuses what
//! cannot work with a [`ConfigError`] naming the field by its dotted path as written in that shape, e.g.
//! `sms.endpoints.single.url` or `services.mfa.limits.attemptsPerSession`; a list item
//! is `limits.destinationPrefixes[0]`, the document itself `(root)`. What works but
//! deserves a look lands in [`Config::warnings`]. No message or warning quotes a URL,
//! body, header value or the data key: they hold API keys.
//!
//! Reading the environment happens only in [`ConfigSource::from_env`].

mod endpoint;
mod settings;
mod shape;
mod tree;

#[cfg(test)]
mod tests;

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
    /// Whether login also sends the first code (default off). Pryv v2 and its
    /// JavaScript library send it at login, with `challenge` only to send again; the
    /// original service and app-web-auth3 call `challenge` after login.
    pub challenge_on_login: bool,
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeactivateSettings {
    /// Also require the password or a current code (default off).
    pub require_step_up: bool,
}

/// The status that announces an mfaToken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MfaTokenStatus {
    /// `302`, as the original service and app-web-auth3 expect (default).
    #[default]
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

/// The embedded sandbox configuration: single mode, sending to a fake provider at
/// `http://127.0.0.1:7001/messages`, with a fake core at `http://127.0.0.1:7002`.
pub const EMBEDDED_DEFAULT: &str = include_str!("default.yaml");

/// The variable naming a configuration file.
pub const CONFIG_FILE_VAR: &str = "MFA_CONFIG_FILE";
/// The variable holding the configuration itself.
pub const CONFIG_INLINE_VAR: &str = "MFA_CONFIG";
/// The variable whose URL replaces `core.url`.
pub const CORE_URL_VAR: &str = "PRYV_CORE_URL";

impl Config {
    /// Parses and checks a YAML or JSON document in any of the three shapes.
    ///
    /// Text starting with `{` is read as JSON (for JSON's clearer syntax errors), any
    /// other text as YAML.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        shape::build(&read_document(text)?)
    }

    /// The embedded sandbox configuration ([`EMBEDDED_DEFAULT`]), for local runs.
    pub fn embedded_default() -> Self {
        // A unit test parses the same constant, so this cannot fail in a release.
        Self::parse(EMBEDDED_DEFAULT).expect("the embedded default configuration is valid")
    }

    /// Replaces the core URL with `text`, checked like `core.url` and named
    /// `PRYV_CORE_URL` in the error; the caller reads the variable.
    pub fn override_core_url(&mut self, text: &str) -> Result<(), ConfigError> {
        self.core_url = Some(shape::core_url(CORE_URL_VAR, text)?);
        Ok(())
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

impl ConfigSource {
    /// The source named by the environment: `MFA_CONFIG_FILE` (a path), else
    /// `MFA_CONFIG` (the document itself), else `None`. An empty variable counts as
    /// unset; when both are set the file wins.
    pub fn from_env() -> Option<Self> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`ConfigSource::from_env`] reading variables through `get`, for tests.
    pub fn from_env_with(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let set = |name| get(name).filter(|value| !value.trim().is_empty());
        if let Some(path) = set(CONFIG_FILE_VAR) {
            return Some(Self::File(PathBuf::from(path)));
        }
        set(CONFIG_INLINE_VAR).map(Self::Inline)
    }
}

/// Reads the document into one tree, whichever the syntax.
fn read_document(text: &str) -> Result<serde_json::Value, ConfigError> {
    // Known limit: a key given twice in JSON keeps its last value (serde_json's
    // behaviour); YAML refuses duplicates.
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text)
            .map_err(|e| tree::error("", format!("not valid JSON: {e}")));
    }
    let mut yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)
        .map_err(|e| tree::error("", format!("not valid YAML: {e}")))?;
    // Operators share blocks between endpoints with anchors and `<<` merge keys.
    yaml.apply_merge()
        .map_err(|e| tree::error("", format!("not valid YAML: {e}")))?;
    serde_json::to_value(yaml)
        .map_err(|e| tree::error("", format!("unsupported YAML (keys must be text): {e}")))
}
