//! Behaviour an operator relies on: the three shapes agree, defaults apply, and every
//! configuration that cannot work is refused naming its field.

use std::path::Path;
use std::time::Duration;

use http::Method;
use secrecy::ExposeSecret;

use super::*;
use crate::templates::SuccessRule;

// --- The SMSAPI challenge-verify example of DESIGN.md section 4, in the three shapes.

const SMSAPI_OLD_SERVICE: &str = r#"
http: { port: 7000, ip: 127.0.0.1 }
logs: { console: { active: true, level: info } }
core:
  url: 'https://core.example.com'
sms:
  mode: 'challenge-verify'
  endpoints:
    challenge:
      url: 'https://api.smsapi.com/mfa/codes'
      method: 'POST'
      body: '{"phone_number":"{{ number }}"}'
      headers:
        authorization: 'Bearer: your-api-key'
        'content-type': 'application/json'
    verify:
      url: 'https://api.smsapi.com/mfa/codes/verifications'
      method: 'POST'
      body: '{"phone_number":"{{ number }}","code":"{{ code }}"}'
      headers:
        authorization: 'Bearer: your-api-key'
        'content-type': 'application/json'
sessions:
  ttlSeconds: 600
limits:
  attemptsPerSession: 3
  destinationPrefixes: ['+41', '41']
mfaTokenStatus: 200
"#;

const SMSAPI_ADMIN_PANEL: &str = r#"{
  "core": { "url": "https://core.example.com" },
  "challenge": {
    "url": "https://api.smsapi.com/mfa/codes",
    "method": "POST",
    "body": "{\"phone_number\":\"{{ number }}\"}",
    "headers": {
      "authorization": "Bearer: your-api-key",
      "content-type": "application/json"
    }
  },
  "verify": {
    "url": "https://api.smsapi.com/mfa/codes/verifications",
    "method": "POST",
    "body": "{\"phone_number\":\"{{ number }}\",\"code\":\"{{ code }}\"}",
    "headers": {
      "authorization": "Bearer: your-api-key",
      "content-type": "application/json"
    }
  },
  "sessions": { "ttlSeconds": 600 },
  "limits": { "attemptsPerSession": 3, "destinationPrefixes": ["+41", "41"] },
  "mfaTokenStatus": 200
}"#;

const SMSAPI_PRYV_V2: &str = r#"
core:
  url: 'https://core.example.com'
services:
  mfa:
    mode: 'challenge-verify'
    sms:
      endpoints:
        challenge:
          url: 'https://api.smsapi.com/mfa/codes'
          method: 'post'
          body: '{"phone_number":"{{ number }}"}'
          headers:
            authorization: 'Bearer: your-api-key'
            'content-type': 'application/json'
        verify:
          url: 'https://api.smsapi.com/mfa/codes/verifications'
          method: 'POST'
          body: '{"phone_number":"{{ number }}","code":"{{ code }}"}'
          headers:
            authorization: 'Bearer: your-api-key'
            'content-type': 'application/json'
    sessions:
      ttlSeconds: 600
    limits:
      attemptsPerSession: 3
      destinationPrefixes: ['+41', '41']
    mfaTokenStatus: 200
"#;

// --- The smsmode single example of DESIGN.md section 4, in the three shapes.

const SMSMODE_OLD_SERVICE: &str = r#"
core: { url: 'http://core.local:3000' }
sms:
  mode: single
  endpoints:
    single:
      url: 'https://api.smsmode.com/http/1.6/sendSMS.do?accessToken=your-api-key&message={{ message }}&emetteur=Pryv%20Lab&numero={{ number }}'
      method: 'GET'
      success: { bodyPrefix: '0' }
code: { length: 8, ttlSeconds: 120 }
timeouts: { connectSeconds: 1, totalSeconds: 5 }
"#;

const SMSMODE_ADMIN_PANEL: &str = r#"{
  "core": { "url": "http://core.local:3000" },
  "single": {
    "url": "https://api.smsmode.com/http/1.6/sendSMS.do?accessToken=your-api-key&message={{ message }}&emetteur=Pryv%20Lab&numero={{ number }}",
    "method": "GET",
    "success": { "bodyPrefix": "0" }
  },
  "code": { "length": 8, "ttlSeconds": 120 },
  "timeouts": { "connectSeconds": 1, "totalSeconds": 5 }
}"#;

const SMSMODE_PRYV_V2: &str = r#"
core: { url: 'http://core.local:3000' }
services:
  mfa:
    mode: single
    sms:
      endpoints:
        single:
          url: 'https://api.smsmode.com/http/1.6/sendSMS.do?accessToken=your-api-key&message={{ message }}&emetteur=Pryv%20Lab&numero={{ number }}'
          method: 'get'
          success: { bodyPrefix: '0' }
    code: { length: 8, ttlSeconds: 120 }
    timeouts: { connectSeconds: 1, totalSeconds: 5 }
"#;

/// A minimal single-mode file in the old service's shape, to which a test appends.
const MINIMAL_SINGLE: &str = "
sms:
  mode: single
  endpoints:
    single: { url: 'https://sms.example.com/send?to={{ phone }}', method: GET }
";

fn parse(text: &str) -> Config {
    match Config::parse(text) {
        Ok(config) => config,
        Err(e) => panic!("the configuration should parse, got: {e}"),
    }
}

fn parse_error(text: &str) -> ConfigError {
    match Config::parse(text) {
        Ok(_) => panic!("the configuration should be refused"),
        Err(e) => e,
    }
}

/// Asserts two configurations describe the same setup (warnings aside: they name the
/// fields as each shape writes them).
fn assert_same_setup(a: &Config, b: &Config, description: &str) {
    assert_eq!(a.core_url, b.core_url, "{description}: core_url");
    assert_eq!(a.mode, b.mode, "{description}: mode");
    assert_eq!(a.code, b.code, "{description}: code");
    assert_eq!(a.sessions, b.sessions, "{description}: sessions");
    assert_eq!(a.limits, b.limits, "{description}: limits");
    assert_eq!(a.deactivate, b.deactivate, "{description}: deactivate");
    assert_eq!(a.mfa_token_status, b.mfa_token_status, "{description}");
    assert_eq!(a.timeouts, b.timeouts, "{description}: timeouts");
    assert_eq!(
        a.data_key.as_ref().map(|k| k.expose_secret().to_owned()),
        b.data_key.as_ref().map(|k| k.expose_secret().to_owned()),
        "{description}: data_key"
    );
}

#[test]
fn the_three_shapes_of_the_smsapi_setup_give_the_same_config() {
    let old = parse(SMSAPI_OLD_SERVICE);

    let admin = parse(SMSAPI_ADMIN_PANEL);
    let v2 = parse(SMSAPI_PRYV_V2);

    assert_same_setup(&old, &admin, "admin panel vs old service");
    assert_same_setup(&old, &v2, "Pryv v2 vs old service");
    let ModeConfig::ChallengeVerify { challenge, verify } = &old.mode else {
        panic!("expected challenge-verify, got {:?}", old.mode);
    };
    assert_eq!(challenge.method, Method::POST);
    assert_eq!(
        challenge.url.source(),
        "https://api.smsapi.com/mfa/codes",
        "the URL is kept as written"
    );
    assert_eq!(
        verify.body.as_ref().map(|b| b.source()),
        Some(r#"{"phone_number":"{{ number }}","code":"{{ code }}"}"#)
    );
    let names: Vec<&str> = verify.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["authorization", "content-type"]);
    assert_eq!(old.sessions.ttl, Duration::from_secs(600));
    assert_eq!(old.limits.attempts_per_session, 3);
    assert_eq!(old.limits.destination_prefixes, ["+41", "41"]);
    assert_eq!(old.mfa_token_status, MfaTokenStatus::Ok);
    assert_eq!(
        old.core_url.as_ref().map(Url::as_str),
        Some("https://core.example.com/")
    );
}

#[test]
fn the_three_shapes_of_the_smsmode_setup_give_the_same_config() {
    let old = parse(SMSMODE_OLD_SERVICE);

    let admin = parse(SMSMODE_ADMIN_PANEL);
    let v2 = parse(SMSMODE_PRYV_V2);

    assert_same_setup(&old, &admin, "admin panel vs old service");
    assert_same_setup(&old, &v2, "Pryv v2 vs old service");
    let ModeConfig::Single { single } = &old.mode else {
        panic!("expected single, got {:?}", old.mode);
    };
    assert_eq!(single.method, Method::GET);
    assert_eq!(single.body, None);
    assert_eq!(single.success, Some(SuccessRule::BodyPrefix("0".into())));
    assert_eq!(old.code.length, 8);
    assert_eq!(old.code.ttl, Duration::from_secs(120));
    assert_eq!(old.timeouts.connect, Duration::from_secs(1));
    assert_eq!(old.timeouts.total, Duration::from_secs(5));
}

#[test]
fn the_admin_panel_json_as_documented_gives_the_templates_without_core_url() {
    let documented = r#"{"single": {"url": "https://sms.example.com/send?to={{ phone }}",
                         "method": "GET"}}"#;

    let config = parse(documented);

    assert_eq!(
        config.core_url, None,
        "the core URL comes from PRYV_CORE_URL"
    );
    assert_same_setup(
        &config,
        &Config {
            core_url: None,
            ..parse(MINIMAL_SINGLE)
        },
        "admin panel vs old service",
    );
}

#[test]
fn settings_absent_take_the_documented_defaults() {
    let config = parse(MINIMAL_SINGLE);

    assert_eq!(config.core_url, None);
    assert_eq!(config.code.length, 6);
    assert_eq!(config.code.ttl, Duration::from_secs(300));
    assert_eq!(config.sessions.ttl, Duration::from_secs(1800));
    assert_eq!(config.limits.attempts_per_session, 5);
    assert_eq!(config.limits.failures_per_user_per_hour, 10);
    assert_eq!(config.limits.send_interval, Duration::from_secs(30));
    assert_eq!(config.limits.sends_per_user_per_hour, 5);
    assert_eq!(config.limits.sends_per_destination_per_day, 10);
    assert!(config.limits.destination_prefixes.is_empty());
    assert!(!config.deactivate.require_step_up);
    assert_eq!(config.mfa_token_status, MfaTokenStatus::Found);
    assert_eq!(config.mfa_token_status.as_u16(), 302);
    assert_eq!(config.timeouts.connect, Duration::from_secs(2));
    assert_eq!(config.timeouts.total, Duration::from_secs(8));
    assert!(config.data_key.is_none());
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn settings_given_are_applied() {
    let text = format!(
        "{MINIMAL_SINGLE}
limits:
  failuresPerUserPerHour: 0
  sendIntervalSeconds: 0
  sendsPerUserPerHour: 20
  sendsPerDestinationPerDay: 0
deactivate: {{ requireStepUp: true }}
"
    );

    let config = parse(&text);

    assert_eq!(config.limits.failures_per_user_per_hour, 0);
    assert_eq!(config.limits.send_interval, Duration::ZERO);
    assert_eq!(config.limits.sends_per_user_per_hour, 20);
    assert_eq!(config.limits.sends_per_destination_per_day, 0);
    assert_eq!(config.limits.attempts_per_session, 5, "default kept");
    assert!(config.deactivate.require_step_up);
}

#[test]
fn http_and_logs_of_the_old_service_are_ignored_with_a_warning_each() {
    let config = parse(SMSAPI_OLD_SERVICE);

    let about = |key: &str| {
        config
            .warnings
            .iter()
            .filter(|w| w.starts_with(&format!("{key}: ")) && w.contains("ignored"))
            .count()
    };
    assert_eq!(about("http"), 1, "{:?}", config.warnings);
    assert_eq!(about("logs"), 1, "{:?}", config.warnings);
}

#[test]
fn a_verify_endpoint_without_a_success_rule_is_named_in_a_warning() {
    let config = parse(SMSAPI_PRYV_V2);

    let expected = "services.mfa.sms.endpoints.verify: verify endpoint has no success rule: \
                    a 2xx with a body will be taken as a refusal";
    assert!(
        config.warnings.iter().any(|w| w == expected),
        "{:?}",
        config.warnings
    );
}

#[test]
fn a_verify_endpoint_with_a_success_rule_draws_no_such_warning() {
    let text = SMSAPI_OLD_SERVICE.replace(
        "      url: 'https://api.smsapi.com/mfa/codes/verifications'",
        "      url: 'https://api.smsapi.com/mfa/codes/verifications'
      success: { jsonPath: 'status', equals: 'approved' }",
    );

    let config = parse(&text);

    assert!(
        !config.warnings.iter().any(|w| w.contains("success rule")),
        "{:?}",
        config.warnings
    );
    let ModeConfig::ChallengeVerify { verify, .. } = &config.mode else {
        panic!("expected challenge-verify");
    };
    assert_eq!(
        verify.success,
        Some(SuccessRule::JsonField {
            path: "status".into(),
            equals: serde_json::json!("approved"),
        })
    );
}

#[test]
fn an_endpoint_the_mode_does_not_use_is_ignored_with_a_warning() {
    let text = MINIMAL_SINGLE.replace("    single:", "    challenge: { url: '' }\n    single:");

    let config = parse(&text);

    assert!(matches!(config.mode, ModeConfig::Single { .. }));
    assert_eq!(
        config.warnings,
        ["sms.endpoints.challenge: not used in mode \"single\", ignored"]
    );
}

#[test]
fn the_mode_is_inferred_when_the_old_service_file_omits_it() {
    let text = MINIMAL_SINGLE.replace("  mode: single\n", "");

    let config = parse(&text);

    assert!(matches!(config.mode, ModeConfig::Single { .. }));
}

#[test]
fn the_method_defaults_to_post() {
    let text = MINIMAL_SINGLE.replace(", method: GET", "");

    let config = parse(&text);

    let ModeConfig::Single { single } = &config.mode else {
        panic!("expected single");
    };
    assert_eq!(single.method, Method::POST);
}

#[test]
fn yaml_merge_keys_share_a_block_between_endpoints() {
    let text = "
sms:
  mode: challenge-verify
  endpoints:
    challenge: &base
      url: 'https://p.example.com/challenge'
      headers: { authorization: 'Bearer k' }
    verify:
      <<: *base
      url: 'https://p.example.com/verify?code={{ code }}'
";

    let config = parse(text);

    let ModeConfig::ChallengeVerify { verify, .. } = &config.mode else {
        panic!("expected challenge-verify");
    };
    assert_eq!(verify.headers.len(), 1);
    assert_eq!(
        verify.url.source(),
        "https://p.example.com/verify?code={{ code }}"
    );
}

#[test]
fn a_valid_data_key_is_kept_and_never_shown_by_debug() {
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let text = format!("{MINIMAL_SINGLE}dataKey: '{key}'\n");

    let config = parse(&text);

    assert_eq!(
        config.data_key.as_ref().map(|k| k.expose_secret()),
        Some(key)
    );
    assert!(!format!("{config:?}").contains(key));
}

#[test]
fn a_bad_data_key_is_refused_without_quoting_it() {
    let cases = [
        ("not base64", "this-is-not-base64-at-all!!"),
        ("16 bytes", "AAECAwQFBgcICQoLDA0ODw=="),
    ];
    for (description, key) in cases {
        let text = format!("{MINIMAL_SINGLE}dataKey: '{key}'\n");

        let error = parse_error(&text);

        assert_eq!(error.field, "dataKey", "{description}");
        assert!(!error.to_string().contains(key), "{description}: {error}");
    }
}

#[test]
fn secrets_in_urls_and_headers_are_not_quoted_in_errors() {
    let text = "
sms:
  endpoints:
    single:
      url: 'ftp://sms.example.com/?accessToken=SECRET-TOKEN'
";
    let error = parse_error(text);
    assert_eq!(error.field, "sms.endpoints.single.url");
    assert!(!error.to_string().contains("SECRET"), "{error}");

    let text = MINIMAL_SINGLE.replace(
        ", method: GET }",
        ", headers: { authorization: \"Bearer SECRET\\r\\nx: y\" } }",
    );
    let error = parse_error(&text);
    assert_eq!(error.field, "sms.endpoints.single.headers.authorization");
    assert!(!error.to_string().contains("SECRET"), "{error}");
}

/// One refused configuration: what it shows, the document, the field and the message.
struct Refused {
    description: &'static str,
    text: String,
    field: &'static str,
    message: &'static str,
}

fn refused(
    description: &'static str,
    text: &str,
    field: &'static str,
    message: &'static str,
) -> Refused {
    Refused {
        description,
        text: text.to_owned(),
        field,
        message,
    }
}

/// The minimal single file with `extra` appended at the top level.
fn with(extra: &str) -> String {
    format!("{MINIMAL_SINGLE}{extra}\n")
}

/// The minimal single file with its endpoint line replaced by `endpoint`.
fn single_endpoint(endpoint: &str) -> String {
    format!("sms:\n  mode: single\n  endpoints:\n    single: {endpoint}\n")
}

fn v2_single(extra: &str) -> String {
    format!(
        "services:\n  mfa:\n    mode: single\n    sms:\n      endpoints:\n        \
         single: {{ url: 'https://s.example.com/?to={{{{ phone }}}}' }}\n{extra}"
    )
}

#[test]
fn a_configuration_that_cannot_work_is_refused_naming_its_field() {
    let cases = [
        refused("empty document", "", "(root)", "expected `sms`"),
        refused("no known key", "foo: 1\n", "(root)", "services.mfa"),
        refused("a list", "- 1\n", "(root)", "must be a mapping"),
        refused("broken JSON", "{\"single\": ", "(root)", "not valid JSON"),
        refused("broken YAML", "sms: [\n", "(root)", "not valid YAML"),
        refused(
            "unknown mode",
            &MINIMAL_SINGLE.replace("mode: single", "mode: double"),
            "sms.mode",
            "must be \"single\" or \"challenge-verify\", got \"double\"",
        ),
        refused(
            "unknown mode in Pryv v2",
            &v2_single("").replace("mode: single", "mode: disabled"),
            "services.mfa.mode",
            "got \"disabled\"",
        ),
        refused(
            "missing endpoint for the mode",
            "sms:\n  mode: challenge-verify\n  endpoints:\n    challenge: { url: 'https://a.example.com' }\n",
            "sms.endpoints.verify",
            "missing for mode \"challenge-verify\"",
        ),
        refused(
            "missing endpoints block",
            "sms:\n  mode: single\n",
            "sms.endpoints.single",
            "missing for mode \"single\"",
        ),
        refused(
            "empty url",
            &single_endpoint("{ url: '' }"),
            "sms.endpoints.single.url",
            "missing for mode \"single\"",
        ),
        refused(
            "no url",
            &single_endpoint("{ method: GET }"),
            "sms.endpoints.single.url",
            "missing for mode \"single\"",
        ),
        refused(
            "relative url",
            &single_endpoint("{ url: '/send' }"),
            "sms.endpoints.single.url",
            "absolute http(s) URL",
        ),
        refused(
            "admin panel: verify without challenge",
            r#"{"verify": {"url": "https://a.example.com"}}"#,
            "challenge",
            "missing for mode \"challenge-verify\"",
        ),
        refused(
            "admin panel: both modes",
            r#"{"single": {"url": "https://a.example.com"}, "challenge": {"url": "https://a.example.com"}}"#,
            "(root)",
            "cannot tell the mode",
        ),
        refused(
            "method PUT in Pryv v2",
            "services:\n  mfa:\n    mode: challenge-verify\n    sms:\n      endpoints:\n        \
             challenge: { url: 'https://a.example.com' }\n        \
             verify: { url: 'https://a.example.com', method: PUT }\n",
            "services.mfa.sms.endpoints.verify.method",
            "must be GET or POST, got \"PUT\"",
        ),
        refused(
            "header value a number",
            &single_endpoint("{ url: 'https://a.example.com', headers: { x-retries: 3 } }"),
            "sms.endpoints.single.headers.x-retries",
            "must be a string, got a number",
        ),
        refused(
            "header value a boolean, admin panel",
            r#"{"single": {"url": "https://a.example.com", "headers": {"x-debug": true}}}"#,
            "single.headers.x-debug",
            "must be a string, got a boolean",
        ),
        refused(
            "invalid header name",
            &single_endpoint("{ url: 'https://a.example.com', headers: { 'bad name': 'x' } }"),
            "sms.endpoints.single.headers.bad name",
            "not a valid header name",
        ),
        refused(
            "header given twice",
            &single_endpoint(
                "{ url: 'https://a.example.com', headers: { A: 'x', a: 'y' } }",
            ),
            "sms.endpoints.single.headers.a",
            "given twice",
        ),
        refused(
            "body not a string",
            &single_endpoint("{ url: 'https://a.example.com', body: { to: 1 } }"),
            "sms.endpoints.single.body",
            "must be a string",
        ),
        refused(
            "unknown endpoint key",
            &single_endpoint("{ url: 'https://a.example.com', metod: GET }"),
            "sms.endpoints.single.metod",
            "unknown key",
        ),
        refused(
            "success rule of another kind",
            &single_endpoint("{ url: 'https://a.example.com', success: { status: 200 } }"),
            "sms.endpoints.single.success",
            "must be {jsonPath, equals} or {bodyPrefix}",
        ),
        refused(
            "success rule without equals",
            &single_endpoint("{ url: 'https://a.example.com', success: { jsonPath: status } }"),
            "sms.endpoints.single.success.equals",
            "missing",
        ),
        refused(
            "success rule with a numeric prefix",
            &single_endpoint("{ url: 'https://a.example.com', success: { bodyPrefix: 0 } }"),
            "sms.endpoints.single.success.bodyPrefix",
            "must be a string",
        ),
        refused(
            "core.url relative",
            &with("core: { url: 'core.example.com' }"),
            "core.url",
            "absolute http(s) URL",
        ),
        refused(
            "core.url of another scheme",
            &with("core: { url: 'ftp://core.example.com' }"),
            "core.url",
            "absolute http(s) URL",
        ),
        refused(
            "code too short",
            &with("code: { length: 3 }"),
            "code.length",
            "must be between 4 and 10, got 3",
        ),
        refused(
            "code ttl too long",
            &with("code: { ttlSeconds: 3601 }"),
            "code.ttlSeconds",
            "must be between 30 and 3600, got 3601",
        ),
        refused(
            "session ttl too short, Pryv v2",
            &v2_single("    sessions: { ttlSeconds: 59 }\n"),
            "services.mfa.sessions.ttlSeconds",
            "must be between 60 and 86400, got 59",
        ),
        refused(
            "no attempt allowed",
            &with("limits: { attemptsPerSession: 0 }"),
            "limits.attemptsPerSession",
            "must be between 1 and 100, got 0",
        ),
        refused(
            "negative failures",
            &with("limits: { failuresPerUserPerHour: -1 }"),
            "limits.failuresPerUserPerHour",
            "must be between 0 and 10000, got -1",
        ),
        refused(
            "send interval too long",
            &with("limits: { sendIntervalSeconds: 3601 }"),
            "limits.sendIntervalSeconds",
            "must be between 0 and 3600",
        ),
        refused(
            "sends per user too many",
            &with("limits: { sendsPerUserPerHour: 10001 }"),
            "limits.sendsPerUserPerHour",
            "must be between 0 and 10000",
        ),
        refused(
            "sends per destination too many",
            &with("limits: { sendsPerDestinationPerDay: 100001 }"),
            "limits.sendsPerDestinationPerDay",
            "must be between 0 and 100000",
        ),
        refused(
            "a limit as text",
            &with("limits: { sendsPerUserPerHour: 'five' }"),
            "limits.sendsPerUserPerHour",
            "must be a whole number",
        ),
        refused(
            "a fractional limit",
            &with("limits: { sendsPerUserPerHour: 2.5 }"),
            "limits.sendsPerUserPerHour",
            "must be a whole number",
        ),
        refused(
            "typo in a settings block",
            &with("limits: { attemptPerSession: 3 }"),
            "limits.attemptPerSession",
            "unknown key; expected one of: attemptsPerSession",
        ),
        refused(
            "unknown top-level key",
            &with("limit: { attemptsPerSession: 3 }"),
            "limit",
            "unknown key",
        ),
        refused(
            "connect timeout over the total",
            &with("timeouts: { connectSeconds: 10, totalSeconds: 5 }"),
            "timeouts.connectSeconds",
            "must not exceed totalSeconds (5)",
        ),
        refused(
            "total timeout under the default connect",
            &with("timeouts: { totalSeconds: 1 }"),
            "timeouts.totalSeconds",
            "must not exceed totalSeconds (1)",
        ),
        refused(
            "total timeout too long",
            &with("timeouts: { totalSeconds: 121 }"),
            "timeouts.totalSeconds",
            "must be between 1 and 120",
        ),
        refused(
            "connect timeout zero",
            &with("timeouts: { connectSeconds: 0 }"),
            "timeouts.connectSeconds",
            "must be between 1 and 30",
        ),
        refused(
            "mfaTokenStatus other than 200 or 302",
            &with("mfaTokenStatus: 301"),
            "mfaTokenStatus",
            "must be 302 or 200",
        ),
        refused(
            "requireStepUp not a boolean",
            &with("deactivate: { requireStepUp: 'yes' }"),
            "deactivate.requireStepUp",
            "must be true or false",
        ),
        refused(
            "destination prefix unquoted",
            &with("limits: { destinationPrefixes: ['+41', +33] }"),
            "limits.destinationPrefixes[1]",
            "quoted string",
        ),
        refused(
            "destination prefix with letters",
            &with("limits: { destinationPrefixes: ['41a'] }"),
            "limits.destinationPrefixes[0]",
            "digits",
        ),
        refused(
            "destination prefix only a plus",
            &with("limits: { destinationPrefixes: ['+'] }"),
            "limits.destinationPrefixes[0]",
            "digits",
        ),
        refused(
            "settings outside services.mfa in Pryv v2",
            &format!("{}limits: {{ attemptsPerSession: 3 }}\n", v2_single("")),
            "limits",
            "settings sit in services.mfa",
        ),
        refused(
            "unknown key in services.mfa",
            &v2_single("    sesions: { ttlSeconds: 600 }\n"),
            "services.mfa.sesions",
            "unknown key",
        ),
        refused(
            "misspelt endpoint without a mode",
            "sms:\n  endpoints:\n    singel: { url: 'https://a.example.com' }\n",
            "sms.endpoints.singel",
            "unknown key; expected one of: single, challenge, verify",
        ),
        refused(
            "old service block mixed with the admin panel's",
            &format!("{MINIMAL_SINGLE}single: {{ url: 'https://a.example.com' }}\n"),
            "single",
            "unknown key",
        ),
    ];

    for case in cases {
        let result = Config::parse(&case.text);

        let Err(error) = result else {
            panic!("{}: should be refused, was accepted", case.description);
        };
        assert_eq!(error.field, case.field, "{}: {error}", case.description);
        assert!(
            error.message.contains(case.message),
            "{}: message {:?} should contain {:?}",
            case.description,
            error.message,
            case.message
        );
    }
}

#[test]
fn a_challenge_template_using_the_code_is_refused_naming_its_part() {
    let cases = [
        ("url", "url: 'https://a.example.com/?c={{ code }}'", "url"),
        (
            "body",
            "url: 'https://a.example.com', body: '{\"c\":\"{{code}}\"}'",
            "body",
        ),
        (
            "header",
            "url: 'https://a.example.com', headers: { x-code: '{{ code }}' }",
            "headers.x-code",
        ),
    ];
    for (description, challenge, part) in cases {
        let yaml = format!(
            "challenge: {{ {challenge} }}\nverify: {{ url: 'https://a.example.com/?c={{{{ code }}}}' }}\n"
        );

        let error = parse_error(&yaml);

        assert_eq!(error.field, format!("challenge.{part}"), "{description}");
        assert!(
            error.message.contains("provider makes the code"),
            "{description}"
        );
    }
}

#[test]
fn a_template_that_does_not_parse_is_refused_naming_its_field() {
    let text = single_endpoint("{ url: 'https://a.example.com/?to={{ phone' }");

    let error = parse_error(&text);

    assert_eq!(error.field, "sms.endpoints.single.url");
    assert!(error.message.contains("invalid template"), "{error}");
}

#[test]
fn a_verify_template_without_the_code_draws_a_warning() {
    let with_code = parse(SMSAPI_OLD_SERVICE);
    let without_code = parse(&SMSAPI_OLD_SERVICE.replace(",\"code\":\"{{ code }}\"", ""));

    let about_code = |c: &Config| c.warnings.iter().any(|w| w.contains("does not use"));
    assert!(!about_code(&with_code), "{:?}", with_code.warnings);
    assert!(about_code(&without_code), "{:?}", without_code.warnings);
}

#[test]
fn the_embedded_default_is_the_local_single_mode_sandbox() {
    let config = Config::embedded_default();

    assert_eq!(
        config.core_url.as_ref().map(Url::as_str),
        Some("http://127.0.0.1:7002/")
    );
    let ModeConfig::Single { single } = &config.mode else {
        panic!("expected single, got {:?}", config.mode);
    };
    assert_eq!(single.method, Method::POST);
    assert_eq!(single.url.source(), "http://127.0.0.1:7001/messages");
    assert_eq!(
        single.body.as_ref().map(|b| b.source()),
        Some(r#"{"destination":"{{ phone }}","message":"Your Pryv MFA code is {{ code }}"}"#)
    );
    assert_eq!(single.headers.len(), 1);
    assert_eq!(single.headers[0].0, http::header::CONTENT_TYPE);
    assert_eq!(single.headers[0].1.source(), "application/json");
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn the_core_url_can_be_overridden_and_is_checked() {
    let mut config = Config::embedded_default();

    config
        .override_core_url("http://127.0.0.1:9999")
        .expect("a loopback URL is valid");
    let refused = config.override_core_url("not a url");

    assert_eq!(
        config.core_url.as_ref().map(Url::as_str),
        Some("http://127.0.0.1:9999/")
    );
    assert_eq!(refused.map_err(|e| e.field), Err("PRYV_CORE_URL".into()));
}

#[test]
fn the_source_comes_from_the_file_variable_then_the_inline_one() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };

    let none = ConfigSource::from_env_with(env(&[]));
    let empty = ConfigSource::from_env_with(env(&[("MFA_CONFIG_FILE", ""), ("MFA_CONFIG", " ")]));
    let inline = ConfigSource::from_env_with(env(&[("MFA_CONFIG", "single: {}")]));
    let both = ConfigSource::from_env_with(env(&[
        ("MFA_CONFIG", "single: {}"),
        ("MFA_CONFIG_FILE", "/etc/mfa.yaml"),
    ]));

    assert!(none.is_none());
    assert!(empty.is_none(), "empty variables count as unset");
    assert!(matches!(inline, Some(ConfigSource::Inline(t)) if t == "single: {}"));
    assert!(matches!(both, Some(ConfigSource::File(p)) if p == Path::new("/etc/mfa.yaml")));
}

#[test]
fn load_reads_a_file_and_names_a_missing_one() {
    let dir = std::env::temp_dir().join(format!("pryv-mfa-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("mfa.json");
    std::fs::write(&path, SMSAPI_ADMIN_PANEL).expect("write temp file");

    let loaded = Config::load(&ConfigSource::File(path.clone()));
    let inline = Config::load(&ConfigSource::Inline(SMSAPI_ADMIN_PANEL.to_owned()));
    let missing = Config::load(&ConfigSource::File(dir.join("absent.yaml")));
    std::fs::remove_dir_all(&dir).ok();

    let loaded = loaded.expect("the file parses");
    assert_same_setup(&loaded, &parse(SMSAPI_OLD_SERVICE), "file vs old service");
    assert_same_setup(&loaded, &inline.expect("inline parses"), "file vs inline");
    let error = missing.expect_err("a missing file is an error");
    assert!(error.field.ends_with("absent.yaml"), "{error}");
}

#[test]
fn challenge_on_login_is_off_by_default_and_can_be_turned_on() {
    let base = "single:\n  url: 'https://sms.example.com/send?to={{ phone }}&text={{ code }}'\n";

    let default = Config::parse(base).expect("valid");
    let on = Config::parse(&format!("{base}challengeOnLogin: true\n")).expect("valid");
    let wrong = Config::parse(&format!("{base}challengeOnLogin: 'yes'\n")).unwrap_err();

    assert!(!default.challenge_on_login);
    assert!(on.challenge_on_login);
    assert_eq!(wrong.field, "challengeOnLogin");
}
