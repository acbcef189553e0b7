//! The app context: everything a route needs, built once per process (per cold start
//! on Lambda), never per request.
//!
//! This is also the one place that reads the environment, so that the Lambda mains,
//! the local server and the tests build the same context from explicit values.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use secrecy::ExposeSecret;

use crate::config::{Config, ConfigSource};
use crate::core_client::{self, CoreClient};
use crate::modes::Messenger;
use crate::secrets::DataKey;
use crate::store::{DynamoDbStore, Store};

/// Tells the time, in Unix seconds; tests move it by hand.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> u64;
}

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }
}

/// A clock that starts at the system time and moves only when told, for tests.
#[derive(Debug)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock at the current system time.
    pub fn new() -> Self {
        Self(AtomicU64::new(SystemClock.now()))
    }

    /// Moves the clock forward.
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Everything a route needs.
pub struct AppContext {
    /// The configuration.
    pub config: Config,
    /// Where MFA state lives.
    pub store: Arc<dyn Store>,
    /// The Pryv core.
    pub core: CoreClient,
    /// The communication service, in the configured mode.
    pub messenger: Messenger,
    /// The key sealing users' MFA data at rest.
    pub data_key: DataKey,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl AppContext {
    /// Builds a context from explicit parts; the core URL is the configuration's.
    pub fn new(config: Config, store: Arc<dyn Store>, data_key: DataKey) -> anyhow::Result<Self> {
        let core_url = config
            .core_url
            .clone()
            .context("core.url: missing (set it in the configuration or PRYV_CORE_URL)")?;
        let http = core_client::http_client(config.timeouts.connect, config.timeouts.total)
            .context("building the HTTP client")?;
        Ok(Self {
            core: CoreClient::new(http.clone(), core_url),
            messenger: Messenger::new(http, &config),
            config,
            store,
            data_key,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same context with another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The cold-start log line: which settings are in use, never their values, and
    /// the configuration's warnings.
    pub fn log_start(&self, role: &str) {
        for warning in &self.config.warnings {
            tracing::warn!(role, warning = %warning, "configuration");
        }
        if !self.config.deactivate.require_step_up {
            tracing::warn!(
                role,
                "deactivate needs a personal token only (deactivate.requireStepUp is off)"
            );
        }
        tracing::info!(
            role,
            mode = if self.messenger.generates_codes() {
                "single"
            } else {
                "challenge-verify"
            },
            mfa_token_status = self.config.mfa_token_status.as_u16(),
            challenge_on_login = self.config.challenge_on_login,
            "started"
        );
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Builds a Lambda function's context from its environment: the configuration
    /// (`MFA_CONFIG_PARAMETER`, `MFA_CONFIG_FILE`, `MFA_CONFIG`), `PRYV_CORE_URL`, `MFA_TABLE` and the data key
    /// (`MFA_DATA_KEY` or the configuration's `dataKey`). A function refuses to start
    /// without its table: an in-memory store would lose sessions between instances.
    pub async fn from_lambda_env() -> anyhow::Result<Self> {
        let config = config_from_env().await?;
        let table = std::env::var("MFA_TABLE")
            .context("MFA_TABLE: missing (the DynamoDB table of this stack)")?;
        let data_key = data_key_from(&config)?;
        let store = Arc::new(DynamoDbStore::from_env(&table).await);
        Self::new(config, store, data_key)
    }
}

/// The environment variable naming the SSM parameter that holds the configuration.
pub const CONFIG_PARAMETER_VAR: &str = "MFA_CONFIG_PARAMETER";

/// Reads the configuration named by the environment (`MFA_CONFIG_PARAMETER`, an SSM
/// parameter, first; else `MFA_CONFIG_FILE` or `MFA_CONFIG`) and applies
/// `PRYV_CORE_URL`.
pub async fn config_from_env() -> anyhow::Result<Config> {
    let parameter = std::env::var(CONFIG_PARAMETER_VAR)
        .ok()
        .filter(|name| !name.trim().is_empty());
    let loaded = match parameter {
        Some(name) => {
            let text = crate::ssm::fetch_parameter(name.trim()).await?;
            Config::parse(text.expose_secret())
        }
        None => {
            let source = ConfigSource::from_env().context(
                "no configuration: set MFA_CONFIG_PARAMETER (an SSM parameter), \
                 MFA_CONFIG_FILE (a path) or MFA_CONFIG (inline)",
            )?;
            Config::load(&source)
        }
    };
    let mut config = loaded.map_err(|error| anyhow::anyhow!(error))?;
    apply_core_url_override(&mut config)?;
    Ok(config)
}

/// Applies `PRYV_CORE_URL` when it is set and not empty.
pub fn apply_core_url_override(config: &mut Config) -> anyhow::Result<()> {
    if let Ok(raw) = std::env::var(crate::config::CORE_URL_VAR) {
        if !raw.trim().is_empty() {
            config.override_core_url(raw.trim())?;
        }
    }
    Ok(())
}

/// The data key from `MFA_DATA_KEY`, else from the configuration; required.
pub fn data_key_from(config: &Config) -> anyhow::Result<DataKey> {
    given_data_key(config)?.context(
        "MFA_DATA_KEY: missing (32 random bytes in base64, also accepted as the \
         configuration's dataKey); it seals users' MFA data at rest",
    )
}

/// The data key from `MFA_DATA_KEY`, else from the configuration, if either gives
/// one; a key given but malformed is an error, never replaced.
pub fn given_data_key(config: &Config) -> anyhow::Result<Option<DataKey>> {
    let text = match std::env::var("MFA_DATA_KEY") {
        Ok(value) if !value.trim().is_empty() => value,
        _ => match &config.data_key {
            Some(key) => key.expose_secret().to_owned(),
            None => return Ok(None),
        },
    };
    DataKey::from_base64(text.trim())
        .map(Some)
        .context("MFA_DATA_KEY: must be 32 bytes in base64")
}
