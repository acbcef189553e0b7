//! The fake communication service, and what it received.
//!
//! Mounted by default (below any mock a test mounts): single mode's send answers 200;
//! challenge-verify's challenge answers 200, and its verify accepts [`PROVIDER_CODE`]
//! only (204 for SMSAPI-like, `{"status": "approved"}` with the rule, else 404 or
//! `{"status": "pending"}`).

use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::fake_core::DEFAULT_PRIORITY;
use crate::Mode;

/// smsmode's send path (single, GET).
pub const SMSMODE_PATH: &str = "/http/1.6/sendSMS.do";
/// The JSON send path (single, POST).
pub const MESSAGES_PATH: &str = "/messages";
/// SMSAPI's challenge path.
pub const CHALLENGE_PATH: &str = "/mfa/codes";
/// SMSAPI's verify path.
pub const VERIFY_PATH: &str = "/mfa/codes/verifications";
/// The code the challenge-verify provider accepts.
pub const PROVIDER_CODE: &str = "424242";

/// The URL-encoded text before the code in the smsmode message (DESIGN.md section 4).
pub const SMSMODE_MESSAGE_PREFIX: &str = "Your%20Pryv%20Lab%20MFA%20code%20is%3A%20";
/// The text before the code in the JSON message.
const POST_MESSAGE_PREFIX: &str = "Your Pryv code is ";

/// The path a mode sends challenges to.
pub fn send_path(mode: Mode) -> &'static str {
    match mode {
        Mode::SingleGet => SMSMODE_PATH,
        Mode::SinglePost => MESSAGES_PATH,
        Mode::ChallengeVerify | Mode::ChallengeVerifyWithRule => CHALLENGE_PATH,
    }
}

/// A raw (still URL-encoded) query parameter.
pub fn raw_query_param<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .url
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// The destination a send went to: the number, as the user gave it.
pub fn destination(request: &Request, mode: Mode) -> Option<String> {
    let body: Value = request.body_json().unwrap_or(Value::Null);
    match mode {
        Mode::SingleGet => raw_query_param(request, "numero").map(str::to_owned),
        Mode::SinglePost => body.get("destination")?.as_str().map(str::to_owned),
        Mode::ChallengeVerify | Mode::ChallengeVerifyWithRule => {
            body.get("phone_number")?.as_str().map(str::to_owned)
        }
    }
}

/// The code a single-mode send carried.
pub fn code_in(request: &Request, mode: Mode) -> Option<String> {
    let code = match mode {
        Mode::SingleGet => raw_query_param(request, "message")?
            .strip_prefix(SMSMODE_MESSAGE_PREFIX)?
            .to_owned(),
        Mode::SinglePost => {
            let body: Value = request.body_json().ok()?;
            body.get("message")?
                .as_str()?
                .strip_prefix(POST_MESSAGE_PREFIX)?
                .to_owned()
        }
        Mode::ChallengeVerify | Mode::ChallengeVerifyWithRule => return None,
    };
    code.bytes().all(|b| b.is_ascii_digit()).then_some(code)
}

/// Mounts the default behaviour of a mode.
pub(crate) async fn mount_defaults(provider: &MockServer, mode: Mode) {
    match mode {
        Mode::SingleGet => {
            mount(
                provider,
                "GET",
                SMSMODE_PATH,
                ResponseTemplate::new(200).set_body_string("0 | 7411"),
            )
            .await
        }
        Mode::SinglePost => {
            let ok = ResponseTemplate::new(200).set_body_json(json!({ "status": "queued" }));
            mount(provider, "POST", MESSAGES_PATH, ok).await
        }
        Mode::ChallengeVerify | Mode::ChallengeVerifyWithRule => {
            let sent = json!({ "id": "5f2d", "phone_number": "41791231212", "from": "Pryv" });
            mount(
                provider,
                "POST",
                CHALLENGE_PATH,
                ResponseTemplate::new(200).set_body_json(sent),
            )
            .await;
            mount_verify_defaults(provider, mode).await;
        }
    }
}

async fn mount_verify_defaults(provider: &MockServer, mode: Mode) {
    let (right, wrong) = if mode == Mode::ChallengeVerify {
        (ResponseTemplate::new(204), ResponseTemplate::new(404))
    } else {
        let status = |s: &str| ResponseTemplate::new(200).set_body_json(json!({ "status": s }));
        (status("approved"), status("pending"))
    };
    Mock::given(method("POST"))
        .and(path(VERIFY_PATH))
        .and(body_partial_json(json!({ "code": PROVIDER_CODE })))
        .respond_with(right)
        .with_priority(DEFAULT_PRIORITY)
        .mount(provider)
        .await;
    Mock::given(method("POST"))
        .and(path(VERIFY_PATH))
        .respond_with(wrong)
        .with_priority(DEFAULT_PRIORITY + 1)
        .mount(provider)
        .await;
}

async fn mount(provider: &MockServer, verb: &str, at: &str, answer: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(answer)
        .with_priority(DEFAULT_PRIORITY)
        .mount(provider)
        .await;
}
