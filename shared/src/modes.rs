//! The two MFA modes behind one interface, [`Messenger`].
//!
//! - single: the service generates the code, sends it with the `single` template and
//!   checks it itself (against the keyed digest kept in the session).
//! - challenge-verify: the `challenge` template asks the provider to send a code; the
//!   `verify` template forwards the user's code and the provider's answer decides.
//!
//! Provider answers fail closed: a send succeeds on a 2xx (and its success rule, if
//! any); a verify succeeds on an empty 2xx, or on a 2xx that passes its rule. A verify
//! answered with a body and no rule is a refusal. Nothing rendered or received is
//! logged: it holds phone numbers, codes and API keys.

use std::collections::BTreeSet;

use crate::config::{Config, ModeConfig};
use crate::domain::{Code, UserData};
use crate::error::ApiError;
use crate::secrets::{self, MfaToken};
use crate::templates::{Endpoint, RenderError, RenderedRequest, Vars};

/// The largest provider answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The variable a template uses for the code.
pub const CODE_VARIABLE: &str = "code";

/// Why a send or a check failed.
#[derive(Debug, thiserror::Error)]
pub enum ModeError {
    /// The code is wrong (or expired).
    #[error("invalid code")]
    InvalidCode,
    /// The provider is unreachable, timed out, failed or refused a send.
    #[error("communication service failed: {0}")]
    Provider(&'static str),
    /// The user's data cannot fill the templates.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl From<ModeError> for ApiError {
    fn from(error: ModeError) -> Self {
        match error {
            ModeError::InvalidCode => ApiError::InvalidCode,
            ModeError::Provider(_) => ApiError::MessagingServerError,
            ModeError::Render(render) => ApiError::format(format!(
                "The MFA data does not fit the service's templates: {render}."
            )),
        }
    }
}

/// What a single-mode check compares the submitted code with.
#[derive(Clone, Copy, Debug)]
pub struct IssuedCode<'a> {
    /// The session's mfaToken, which keys the digest.
    pub token: &'a MfaToken,
    /// The digest of the latest code sent.
    pub digest: &'a str,
    /// When that code ends.
    pub expires_at: u64,
    /// Now.
    pub now: u64,
}

/// Sends challenges and checks codes, in the configured mode.
#[derive(Clone, Debug)]
pub struct Messenger {
    http: reqwest::Client,
    mode: ModeConfig,
    code_length: u8,
}

impl Messenger {
    /// A messenger for the configuration's mode, sharing the service's HTTP client.
    pub fn new(http: reqwest::Client, config: &Config) -> Self {
        Self {
            http,
            mode: config.mode.clone(),
            code_length: config.code.length,
        }
    }

    /// Whether the service makes the codes (single mode).
    pub fn generates_codes(&self) -> bool {
        matches!(self.mode, ModeConfig::Single { .. })
    }

    /// The endpoint that sends a code.
    fn send_endpoint(&self) -> &Endpoint {
        match &self.mode {
            ModeConfig::Single { single } => single,
            ModeConfig::ChallengeVerify { challenge, .. } => challenge,
        }
    }

    /// The variables the user's data must hold (the code excluded).
    pub fn required_variables(&self) -> BTreeSet<String> {
        let mut names = self.send_endpoint().variables();
        if let ModeConfig::ChallengeVerify { verify, .. } = &self.mode {
            names.extend(verify.variables());
        }
        names.remove(CODE_VARIABLE);
        names
    }

    /// Checks, at activation, that the user's data can fill every template, and in
    /// single mode that the sent request would carry the code.
    pub fn check_user_data(&self, data: &UserData) -> Result<(), ApiError> {
        let missing: Vec<String> = self
            .required_variables()
            .into_iter()
            .filter(|name| data.get(name).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ModeError::Render(RenderError::Missing(missing)).into());
        }
        if self.generates_codes() && !self.send_endpoint().carries_code(data) {
            return Err(ApiError::format(
                "The MFA data must carry the code: add '{{ code }}' to the message.",
            ));
        }
        Ok(())
    }

    /// A fresh code, in single mode; `None` when the provider makes codes.
    pub fn new_code(&self) -> Option<Code> {
        self.generates_codes()
            .then(|| Code::from_digits(secrets::generate_code(self.code_length)))
    }

    /// Sends a challenge: the code in single mode, a request for one otherwise.
    pub async fn send(&self, data: &UserData, code: Option<&Code>) -> Result<(), ModeError> {
        let endpoint = self.send_endpoint();
        let vars = Vars {
            user: data,
            code: code.map(Code::expose),
        };
        let answer = self.call(endpoint.render(vars)?).await?;
        if !answer.is_success() {
            tracing::warn!(status = answer.status, "provider refused a send");
            return Err(ModeError::Provider("send refused"));
        }
        match &endpoint.success {
            Some(rule) if !rule.accepts(&answer.body) => {
                tracing::warn!(
                    status = answer.status,
                    "provider answer failed the success rule"
                );
                Err(ModeError::Provider("send refused by the success rule"))
            }
            _ => Ok(()),
        }
    }

    /// Checks a submitted code: against the issued one in single mode, with the
    /// provider otherwise.
    pub async fn check(
        &self,
        data: &UserData,
        submitted: &Code,
        issued: Option<IssuedCode<'_>>,
    ) -> Result<(), ModeError> {
        match &self.mode {
            ModeConfig::Single { .. } => check_issued(submitted, issued),
            ModeConfig::ChallengeVerify { verify, .. } => {
                let vars = Vars {
                    user: data,
                    code: Some(submitted.expose()),
                };
                let answer = self.call(verify.render(vars)?).await?;
                judge_verify(verify, &answer)
            }
        }
    }

    async fn call(&self, request: RenderedRequest) -> Result<ProviderAnswer, ModeError> {
        let mut builder = self.http.request(request.method, &request.url);
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(|error| {
            tracing::warn!(
                timeout = error.is_timeout(),
                connect = error.is_connect(),
                "provider unreachable"
            );
            ModeError::Provider("unreachable")
        })?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() <= MAX_ANSWER_BYTES => {
                    body.extend_from_slice(&chunk)
                }
                Ok(Some(_)) => return Err(ModeError::Provider("oversized answer")),
                Ok(None) => break,
                Err(_) => return Err(ModeError::Provider("answer cut short")),
            }
        }
        Ok(ProviderAnswer { status, body })
    }
}

struct ProviderAnswer {
    status: u16,
    body: Vec<u8>,
}

impl ProviderAnswer {
    fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn check_issued(submitted: &Code, issued: Option<IssuedCode<'_>>) -> Result<(), ModeError> {
    let Some(issued) = issued else {
        return Err(ModeError::InvalidCode);
    };
    let digest = issued.token.code_digest(submitted.expose());
    let matches = secrets::constant_time_eq(digest.as_bytes(), issued.digest.as_bytes());
    if matches && issued.expires_at > issued.now {
        Ok(())
    } else {
        Err(ModeError::InvalidCode)
    }
}

fn judge_verify(endpoint: &Endpoint, answer: &ProviderAnswer) -> Result<(), ModeError> {
    if answer.status >= 500 {
        tracing::warn!(status = answer.status, "provider failed a verify");
        return Err(ModeError::Provider("verify failed"));
    }
    if matches!(answer.status, 401 | 403 | 407 | 429) {
        // The provider refused the service itself (key, quota), not the user's code.
        tracing::warn!(
            status = answer.status,
            "provider refused the service's verify"
        );
        return Err(ModeError::Provider("verify refused"));
    }
    if !answer.is_success() {
        return Err(ModeError::InvalidCode);
    }
    let accepted = match &endpoint.success {
        Some(rule) => rule.accepts(&answer.body),
        None => answer.body.iter().all(u8::is_ascii_whitespace),
    };
    if accepted {
        Ok(())
    } else {
        Err(ModeError::InvalidCode)
    }
}
