//! The settings beside the templates (DESIGN.md section 5): each optional, with the
//! defaults of section 7, each range-checked, and no unknown key inside a block, so that
//! a typo does not silently run with a default.

use std::time::Duration;

use base64::Engine as _;
use secrecy::SecretString;

use super::tree::{Fields, Node, Taken};
use super::{
    CodeSettings, ConfigError, DeactivateSettings, Limits, MfaTokenStatus, SessionSettings,
    Timeouts,
};

/// The top-level keys of the settings, in the order the documentation gives them.
pub(super) const KEYS: &[&str] = &[
    "code",
    "sessions",
    "limits",
    "deactivate",
    "mfaTokenStatus",
    "challengeOnLogin",
    "timeouts",
    "dataKey",
];

/// Every setting, defaults applied.
pub(super) struct Settings {
    pub(super) code: CodeSettings,
    pub(super) sessions: SessionSettings,
    pub(super) limits: Limits,
    pub(super) deactivate: DeactivateSettings,
    pub(super) mfa_token_status: MfaTokenStatus,
    pub(super) challenge_on_login: bool,
    pub(super) timeouts: Timeouts,
    pub(super) data_key: Option<SecretString>,
}

impl Default for CodeSettings {
    fn default() -> Self {
        Self {
            length: 6,
            ttl: Duration::from_secs(300),
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(1800),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            attempts_per_session: 5,
            failures_per_user_per_hour: 10,
            send_interval: Duration::from_secs(30),
            sends_per_user_per_hour: 5,
            sends_per_destination_per_day: 10,
            destination_prefixes: Vec::new(),
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(2),
            total: Duration::from_secs(8),
        }
    }
}

impl MfaTokenStatus {
    /// The HTTP status code it stands for.
    pub fn as_u16(self) -> u16 {
        match self {
            Self::Found => 302,
            Self::Ok => 200,
        }
    }
}

/// Takes the settings' keys out of `fields` (the top level, or `services.mfa`).
pub(super) fn take(fields: &mut Fields<'_>) -> Result<Settings, ConfigError> {
    Ok(Settings {
        code: fields.take("code").map_or(Ok(Default::default()), code)?,
        sessions: fields
            .take("sessions")
            .map_or(Ok(Default::default()), sessions)?,
        limits: fields
            .take("limits")
            .map_or(Ok(Default::default()), limits)?,
        deactivate: fields
            .take("deactivate")
            .map_or(Ok(Default::default()), deactivate)?,
        mfa_token_status: fields
            .take("mfaTokenStatus")
            .map_or(Ok(Default::default()), mfa_token_status)?,
        challenge_on_login: match fields.take("challengeOnLogin") {
            Some(taken) => taken.node().boolean()?,
            None => false,
        },
        timeouts: fields
            .take("timeouts")
            .map_or(Ok(Default::default()), timeouts)?,
        data_key: fields.take("dataKey").map(data_key).transpose()?,
    })
}

fn code(taken: Taken<'_>) -> Result<CodeSettings, ConfigError> {
    let mut fields = taken.node().object()?;
    let defaults = CodeSettings::default();
    let settings = CodeSettings {
        length: match fields.take("length") {
            // The range keeps the value well inside u8.
            Some(t) => t.node().integer_in(4, 10)? as u8,
            None => defaults.length,
        },
        ttl: seconds(fields.take("ttlSeconds"), 30, 3600, defaults.ttl)?,
    };
    fields.finish(&["length", "ttlSeconds"])?;
    Ok(settings)
}

fn sessions(taken: Taken<'_>) -> Result<SessionSettings, ConfigError> {
    let mut fields = taken.node().object()?;
    let ttl = seconds(
        fields.take("ttlSeconds"),
        60,
        86_400,
        SessionSettings::default().ttl,
    )?;
    fields.finish(&["ttlSeconds"])?;
    Ok(SessionSettings { ttl })
}

fn limits(taken: Taken<'_>) -> Result<Limits, ConfigError> {
    let mut fields = taken.node().object()?;
    let defaults = Limits::default();
    let limits = Limits {
        attempts_per_session: count(
            fields.take("attemptsPerSession"),
            1,
            100,
            defaults.attempts_per_session,
        )?,
        failures_per_user_per_hour: count(
            fields.take("failuresPerUserPerHour"),
            0,
            10_000,
            defaults.failures_per_user_per_hour,
        )?,
        send_interval: seconds(
            fields.take("sendIntervalSeconds"),
            0,
            3600,
            defaults.send_interval,
        )?,
        sends_per_user_per_hour: count(
            fields.take("sendsPerUserPerHour"),
            0,
            10_000,
            defaults.sends_per_user_per_hour,
        )?,
        sends_per_destination_per_day: count(
            fields.take("sendsPerDestinationPerDay"),
            0,
            100_000,
            defaults.sends_per_destination_per_day,
        )?,
        destination_prefixes: match fields.take("destinationPrefixes") {
            Some(t) => destination_prefixes(t.node())?,
            None => defaults.destination_prefixes,
        },
    };
    fields.finish(&[
        "attemptsPerSession",
        "failuresPerUserPerHour",
        "sendIntervalSeconds",
        "sendsPerUserPerHour",
        "sendsPerDestinationPerDay",
        "destinationPrefixes",
    ])?;
    Ok(limits)
}

fn destination_prefixes(node: Node<'_>) -> Result<Vec<String>, ConfigError> {
    node.items()?
        .into_iter()
        .map(|(path, value)| {
            let item = Node::new(&path, value);
            // YAML reads an unquoted +41 as the number 41: refusing numbers keeps the
            // operator's `+` from silently disappearing.
            let prefix = item.string().map_err(|_| {
                item.error("must be a quoted string of digits, optionally after a leading +")
            })?;
            let digits = prefix.strip_prefix('+').unwrap_or(prefix);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(item.error("must be digits, optionally after a leading +"));
            }
            Ok(prefix.to_owned())
        })
        .collect()
}

fn deactivate(taken: Taken<'_>) -> Result<DeactivateSettings, ConfigError> {
    let mut fields = taken.node().object()?;
    let require_step_up = match fields.take("requireStepUp") {
        Some(t) => t.node().boolean()?,
        None => DeactivateSettings::default().require_step_up,
    };
    fields.finish(&["requireStepUp"])?;
    Ok(DeactivateSettings { require_step_up })
}

fn mfa_token_status(taken: Taken<'_>) -> Result<MfaTokenStatus, ConfigError> {
    let node = taken.node();
    match node.value().as_u64() {
        Some(302) => Ok(MfaTokenStatus::Found),
        Some(200) => Ok(MfaTokenStatus::Ok),
        _ => Err(node.error("must be 302 or 200")),
    }
}

fn timeouts(taken: Taken<'_>) -> Result<Timeouts, ConfigError> {
    let mut fields = taken.node().object()?;
    let defaults = Timeouts::default();
    let connect_taken = fields.take("connectSeconds");
    let connect_path = connect_taken.as_ref().map(|t| t.path.clone());
    let connect = seconds(connect_taken, 1, 30, defaults.connect)?;
    let total = seconds(fields.take("totalSeconds"), 1, 120, defaults.total)?;
    fields.finish(&["connectSeconds", "totalSeconds"])?;
    if connect > total {
        // Name the field the operator set; with only totalSeconds set, that is the one.
        let field = connect_path.unwrap_or_else(|| format!("{}.totalSeconds", taken.path));
        return Err(super::tree::error(
            &field,
            format!(
                "connectSeconds ({}) must not exceed totalSeconds ({})",
                connect.as_secs(),
                total.as_secs()
            ),
        ));
    }
    Ok(Timeouts { connect, total })
}

fn data_key(taken: Taken<'_>) -> Result<SecretString, ConfigError> {
    let node = taken.node();
    let text = node.string()?.trim();
    // The message never quotes the value: it is the key that seals users' data.
    let invalid = || node.error("must be the base64 encoding of 32 bytes");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| invalid())?;
    if bytes.len() != 32 {
        return Err(invalid());
    }
    Ok(SecretString::from(text.to_owned()))
}

/// A duration in whole seconds within `min..=max`, or the default when absent.
fn seconds(
    taken: Option<Taken<'_>>,
    min: u64,
    max: u64,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match taken {
        Some(t) => Ok(Duration::from_secs(t.node().integer_in(min, max)?)),
        None => Ok(default),
    }
}

/// A count within `min..=max` (all ranges fit in u32), or the default when absent.
fn count(taken: Option<Taken<'_>>, min: u32, max: u32, default: u32) -> Result<u32, ConfigError> {
    match taken {
        Some(t) => Ok(t.node().integer_in(min.into(), max.into())? as u32),
        None => Ok(default),
    }
}
