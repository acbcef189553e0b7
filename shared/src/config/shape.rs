//! The three shapes operators already have (DESIGN.md section 5), told apart by their
//! keys and all turned into one [`Config`]:
//!
//! - the old service's file: `core.url`, `sms.{mode, endpoints}`, settings at the top;
//! - the admin panel's JSON: `single`, or `challenge` + `verify`, at the top (the mode is
//!   inferred); `core.url` and settings may sit beside them;
//! - Pryv v2's block: `services.mfa.{mode, sms.endpoints, ...settings}`, with `core.url`
//!   at the top if given.
//!
//! `http` and `logs` at the top are accepted and ignored with a warning in every shape.

use serde_json::{Map, Value};
use url::Url;

use super::endpoint;
use super::settings::{self, Settings};
use super::tree::{child_path, error, Fields, Node, Taken};
use super::{Config, ConfigError, ModeConfig};
use crate::templates::{Endpoint, Template};

const SINGLE: &str = "single";
const CHALLENGE_VERIFY: &str = "challenge-verify";
const ENDPOINTS: &[&str] = &["single", "challenge", "verify"];
/// Keys only the old service used; Pryv v2's platform file has them too.
const IGNORED: &[&str] = &["http", "logs"];

/// Builds the configuration from a parsed document of any shape.
pub(super) fn build(document: &Value) -> Result<Config, ConfigError> {
    let root = Node::new("", document);
    let mut top = match document {
        Value::Object(_) => root.object()?,
        Value::Null => return Err(error("", format!("empty document; {}", expected_keys()))),
        _ => return Err(root.error(format!("must be a mapping; {}", expected_keys()))),
    };
    let mut warnings = Vec::new();
    for key in IGNORED {
        if top.take(key).is_some() {
            warnings.push(format!("{key}: used only by the old service, ignored"));
        }
    }
    let core_url = top.take("core").map(core).transpose()?.flatten();

    let (mode, settings) = if top.has("services") {
        pryv_v2(&mut top, &mut warnings)?
    } else if top.has("sms") {
        old_service(&mut top, &mut warnings)?
    } else if ENDPOINTS.iter().any(|key| top.has(key)) {
        admin_panel(&mut top, &mut warnings)?
    } else {
        return Err(error(
            "",
            format!("no MFA configuration; {}", expected_keys()),
        ));
    };

    Ok(Config {
        core_url,
        mode,
        code: settings.code,
        sessions: settings.sessions,
        limits: settings.limits,
        deactivate: settings.deactivate,
        mfa_token_status: settings.mfa_token_status,
        challenge_on_login: settings.challenge_on_login,
        timeouts: settings.timeouts,
        data_key: settings.data_key,
        warnings,
    })
}

fn expected_keys() -> String {
    "expected `sms` (the old service's file), `single` or `challenge` + `verify` \
     (the admin panel's JSON), or `services.mfa` (Pryv v2)"
        .to_owned()
}

/// `core.url`: the only key of `core`.
fn core(taken: Taken<'_>) -> Result<Option<Url>, ConfigError> {
    let mut fields = taken.node().object()?;
    let url = match fields.take("url") {
        Some(url) => Some(core_url(&url.path, url.node().string()?)?),
        None => None,
    };
    fields.finish(&["url"])?;
    Ok(url)
}

/// The core's base URL: absolute http(s) with a host.
pub(super) fn core_url(field: &str, text: &str) -> Result<Url, ConfigError> {
    let invalid = || error(field, "must be an absolute http(s) URL");
    let url = Url::parse(text.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(invalid());
    }
    Ok(url)
}

type Parsed = (ModeConfig, Settings);

fn old_service(top: &mut Fields<'_>, warnings: &mut Vec<String>) -> Result<Parsed, ConfigError> {
    let sms = top.take("sms").ok_or_else(|| error("sms", "missing"))?;
    let mode = sms_block(&sms, None, warnings)?;
    let settings = settings::take(top)?;
    top_finish(top, &["core", "sms"])?;
    Ok((mode, settings))
}

fn admin_panel(top: &mut Fields<'_>, warnings: &mut Vec<String>) -> Result<Parsed, ConfigError> {
    let mode = mode_config(top, None, warnings)?;
    let settings = settings::take(top)?;
    top_finish(top, &["core", "single", "challenge", "verify"])?;
    Ok((mode, settings))
}

fn pryv_v2(top: &mut Fields<'_>, warnings: &mut Vec<String>) -> Result<Parsed, ConfigError> {
    let services = top
        .take("services")
        .ok_or_else(|| error("services", "missing"))?;
    let mut services = services.node().object()?;
    let mfa = services
        .take("mfa")
        .ok_or_else(|| error("services.mfa", "missing"))?;
    // The block may be pasted with the rest of the platform file around it.
    for other in services.rest() {
        warnings.push(format!("services.{other}: not about MFA, ignored"));
    }
    for other in top.rest() {
        if settings::KEYS.contains(&other) {
            return Err(error(
                other,
                "in Pryv v2's shape, settings sit in services.mfa",
            ));
        }
        warnings.push(format!("{other}: not part of Pryv v2's MFA block, ignored"));
    }

    let mut fields = mfa.node().object()?;
    let mode_node = fields.take("mode");
    let sms = fields
        .take("sms")
        .ok_or_else(|| error(&child_path(&mfa.path, "sms"), "missing"))?;
    let mode = sms_block(&sms, mode_node.as_ref(), warnings)?;
    let settings = settings::take(&mut fields)?;
    let mut keys = vec!["mode", "sms"];
    keys.extend_from_slice(settings::KEYS);
    fields.finish(&keys)?;
    Ok((mode, settings))
}

/// `sms`: the old service's `{mode, endpoints}`, or Pryv v2's `{endpoints}` whose mode
/// sits one level up.
fn sms_block(
    sms: &Taken<'_>,
    outer_mode: Option<&Taken<'_>>,
    warnings: &mut Vec<String>,
) -> Result<ModeConfig, ConfigError> {
    let mut fields = sms.node().object()?;
    let inner_mode = if outer_mode.is_none() {
        fields.take("mode")
    } else {
        None
    };
    let empty = Value::Object(Map::new());
    let endpoints_path = child_path(&sms.path, "endpoints");
    let endpoints = fields.take("endpoints");
    let endpoints_node = match &endpoints {
        Some(taken) => taken.node(),
        // Absent endpoints are reported by name below, as missing for the mode.
        None => Node::new(&endpoints_path, &empty),
    };
    let mut endpoint_fields = endpoints_node.object()?;
    // A misspelt endpoint is named before it can confuse the mode's inference.
    endpoint_fields.finish_unknown(ENDPOINTS)?;
    let mode = mode_config(
        &mut endpoint_fields,
        outer_mode.or(inner_mode.as_ref()),
        warnings,
    )?;
    endpoint_fields.finish(ENDPOINTS)?;
    fields.finish(if outer_mode.is_none() {
        &["mode", "endpoints"]
    } else {
        &["endpoints"]
    })?;
    Ok(mode)
}

/// Reads the mode (or infers it from the endpoints present) and the endpoints it uses.
fn mode_config(
    endpoints: &mut Fields<'_>,
    mode: Option<&Taken<'_>>,
    warnings: &mut Vec<String>,
) -> Result<ModeConfig, ConfigError> {
    let mode = match mode {
        Some(taken) => named_mode(taken.node())?,
        None => inferred_mode(endpoints)?,
    };
    let path = endpoints.path();
    let mut take = |name: &str| {
        endpoints
            .take(name)
            .ok_or_else(|| error(&child_path(path, name), endpoint::missing_for(mode)))
    };
    let config = if mode == SINGLE {
        let single = take("single")?;
        ModeConfig::Single {
            single: endpoint::parse(&single, mode)?,
        }
    } else {
        let challenge = take("challenge")?;
        let verify = take("verify")?;
        let config = ModeConfig::ChallengeVerify {
            challenge: endpoint::parse(&challenge, mode)?,
            verify: endpoint::parse(&verify, mode)?,
        };
        if let ModeConfig::ChallengeVerify {
            challenge: c,
            verify: v,
        } = &config
        {
            check_challenge(c, &challenge.path)?;
            check_verify(v, &verify.path, warnings);
        }
        config
    };
    for unused in ENDPOINTS {
        if let Some(taken) = endpoints.take(unused).filter(|_| !uses(mode, unused)) {
            warnings.push(format!(
                "{}: not used in mode \"{mode}\", ignored",
                taken.path
            ));
        }
    }
    Ok(config)
}

fn uses(mode: &str, endpoint: &str) -> bool {
    match mode {
        SINGLE => endpoint == "single",
        _ => endpoint != "single",
    }
}

fn named_mode(node: Node<'_>) -> Result<&'static str, ConfigError> {
    match node.string()? {
        SINGLE => Ok(SINGLE),
        CHALLENGE_VERIFY => Ok(CHALLENGE_VERIFY),
        other => {
            let shown: String = other.chars().take(32).collect();
            Err(node.error(format!(
                "must be \"{SINGLE}\" or \"{CHALLENGE_VERIFY}\", got {shown:?}"
            )))
        }
    }
}

/// Without a mode: `single` alone, or `challenge` and/or `verify` without `single`.
fn inferred_mode(endpoints: &Fields<'_>) -> Result<&'static str, ConfigError> {
    let single = endpoints.has("single");
    let two_step = endpoints.has("challenge") || endpoints.has("verify");
    match (single, two_step) {
        (true, false) => Ok(SINGLE),
        (false, true) => Ok(CHALLENGE_VERIFY),
        _ => Err(error(
            endpoints.path(),
            "cannot tell the mode: give either `single`, or `challenge` and `verify`",
        )),
    }
}

/// In challenge-verify mode the provider makes the code: a challenge that carries one
/// would send a code the provider never made.
fn check_challenge(challenge: &Endpoint, path: &str) -> Result<(), ConfigError> {
    let refuse = |part: &str| {
        error(
            &child_path(path, part),
            "must not use {{ code }}: in mode \"challenge-verify\" the provider makes the code",
        )
    };
    if uses_code(&challenge.url) {
        return Err(refuse("url"));
    }
    if challenge.body.as_ref().is_some_and(uses_code) {
        return Err(refuse("body"));
    }
    for (name, value) in &challenge.headers {
        if uses_code(value) {
            return Err(refuse(&format!("headers.{name}")));
        }
    }
    Ok(())
}

fn check_verify(verify: &Endpoint, path: &str, warnings: &mut Vec<String>) {
    let parts = [Some(&verify.url), verify.body.as_ref()];
    let carries_code = parts.into_iter().flatten().any(uses_code)
        || verify.headers.iter().any(|(_, value)| uses_code(value));
    if !carries_code {
        warnings.push(format!(
            "{path}: verify endpoint does not use {{{{ code }}}}: the user's code will not \
             reach the provider"
        ));
    }
    if verify.success.is_none() {
        warnings.push(format!(
            "{path}: verify endpoint has no success rule: a 2xx with a body will be taken \
             as a refusal"
        ));
    }
}

fn uses_code(template: &Template) -> bool {
    template.variables().contains("code")
}

/// Fails on an unknown top-level key, listing what the shape accepts.
fn top_finish(top: &Fields<'_>, shape_keys: &[&str]) -> Result<(), ConfigError> {
    let mut keys = shape_keys.to_vec();
    keys.extend_from_slice(settings::KEYS);
    keys.extend_from_slice(IGNORED);
    top.finish(&keys)
}
