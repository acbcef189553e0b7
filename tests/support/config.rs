//! The configuration file of a test, in the old service's shape (`core.url`,
//! `sms.mode`, `sms.endpoints`, settings at the top), so that every test also
//! exercises the real parser.

use crate::fake_provider::{CHALLENGE_PATH, MESSAGES_PATH, SMSMODE_PATH, VERIFY_PATH};
use crate::Mode;

/// Where the outside services listen.
pub(crate) struct Urls {
    pub core: String,
    pub provider: String,
    pub verify: String,
}

const SINGLE_GET: &str = r#"
sms:
  mode: 'single'
  endpoints:
    single:
      url: '{provider}{smsmode}?accessToken=test-api-key&message={{ message }}&emetteur=Pryv%20Lab&numero={{ number }}'
      method: 'GET'
"#;

const SINGLE_POST: &str = r#"
sms:
  mode: 'single'
  endpoints:
    single:
      url: '{provider}{messages}'
      method: 'POST'
      body: '{"destination":"{{ phone }}","message":"Your Pryv code is {{ code }}"}'
      headers:
        authorization: 'Bearer test-api-key'
        'content-type': 'application/json'
"#;

const CHALLENGE_VERIFY: &str = r#"
sms:
  mode: 'challenge-verify'
  endpoints:
    challenge:
      url: '{provider}{challenge}'
      method: 'POST'
      body: '{"phone_number":"{{ number }}"}'
      headers:
        authorization: 'Bearer: test-api-key'
        'content-type': 'application/json'
    verify:
      url: '{verify}{verification}'
      method: 'POST'
      body: '{"phone_number":"{{ number }}","code":"{{ code }}"}'
      headers:
        authorization: 'Bearer: test-api-key'
        'content-type': 'application/json'
"#;

const SUCCESS_RULE: &str = "      success: {jsonPath: 'status', equals: 'approved'}\n";

/// The YAML document for a mode, its URLs and the test's extra settings.
pub(crate) fn yaml(mode: Mode, urls: &Urls, settings: &str) -> String {
    let mut document = format!("core:\n  url: '{}'\n", urls.core);
    document.push_str(match mode {
        Mode::SingleGet => SINGLE_GET,
        Mode::SinglePost => SINGLE_POST,
        Mode::ChallengeVerify | Mode::ChallengeVerifyWithRule => CHALLENGE_VERIFY,
    });
    if mode == Mode::ChallengeVerifyWithRule {
        document.push_str(SUCCESS_RULE);
    }
    document.push_str(settings);
    document
        .replace("{provider}", &urls.provider)
        .replace("{verify}", &urls.verify)
        .replace("{smsmode}", SMSMODE_PATH)
        .replace("{messages}", MESSAGES_PATH)
        .replace("{challenge}", CHALLENGE_PATH)
        .replace("{verification}", VERIFY_PATH)
}
