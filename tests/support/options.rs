//! What a test starts: the store, the MFA mode and its templates, extra settings, and
//! which outside services are unreachable.

use serde_json::{json, Value};

use crate::StoreKind;

/// The MFA mode, with the templates of DESIGN.md section 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// single mode, smsmode-like: a GET whose URL carries `{{ number }}` and the
    /// user's URL-encoded `message`, which holds `{{ code }}`.
    SingleGet,
    /// single mode with a JSON POST body carrying `{{ phone }}` and `{{ code }}`.
    SinglePost,
    /// challenge-verify, SMSAPI-like: the verify answers 204 to a right code.
    ChallengeVerify,
    /// challenge-verify, Twilio-like: the verify answers 200 with a `status`, judged
    /// by the rule `success: {jsonPath: status, equals: approved}`.
    ChallengeVerifyWithRule,
}

impl Mode {
    /// Every mode, for tests that must hold in all of them.
    pub const ALL: [Mode; 4] = [
        Mode::SingleGet,
        Mode::SinglePost,
        Mode::ChallengeVerify,
        Mode::ChallengeVerifyWithRule,
    ];

    /// Whether the service generates and checks codes itself.
    pub fn is_single(self) -> bool {
        matches!(self, Mode::SingleGet | Mode::SinglePost)
    }

    /// The MFA data a user activates with: a destination of the user's own, so that
    /// the codes each user received can be told apart.
    pub fn user_data(self, user: &str) -> Value {
        let number = destination_number(user);
        match self {
            Mode::SingleGet => json!({
                "number": number,
                "message": "Your%20Pryv%20Lab%20MFA%20code%20is%3A%20{{ code }}",
            }),
            Mode::SinglePost => json!({ "phone": format!("+{number}") }),
            Mode::ChallengeVerify | Mode::ChallengeVerifyWithRule => json!({ "number": number }),
        }
    }
}

/// A phone number of the user's own (digits only, Swiss-like).
pub fn destination_number(user: &str) -> String {
    let tail: u32 = user.bytes().map(u32::from).sum::<u32>() % 10_000;
    format!("4179123{tail:04}")
}

/// What [`crate::spawn_app`] starts.
#[derive(Clone, Debug)]
pub struct TestOptions {
    pub(crate) store: StoreKind,
    pub(crate) mode: Mode,
    pub(crate) settings: String,
    pub(crate) core_unreachable: bool,
    pub(crate) provider_unreachable: bool,
    pub(crate) verify_unreachable: bool,
}

impl TestOptions {
    /// The store given, single mode with a GET template, default settings.
    pub fn new(store: StoreKind) -> Self {
        Self {
            store,
            mode: Mode::SingleGet,
            settings: String::new(),
            core_unreachable: false,
            provider_unreachable: false,
            verify_unreachable: false,
        }
    }

    /// Another mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Settings added at the top level of the configuration file, as YAML, e.g.
    /// `"mfaTokenStatus: 200\n"` or `"limits:\n  destinationPrefixes: ['+41']\n"`.
    pub fn settings(mut self, yaml: &str) -> Self {
        self.settings.push_str(yaml);
        if !self.settings.ends_with('\n') {
            self.settings.push('\n');
        }
        self
    }

    /// Points `core.url` at a closed loopback port.
    pub fn core_unreachable(mut self) -> Self {
        self.core_unreachable = true;
        self
    }

    /// Points every provider template at a closed loopback port.
    pub fn provider_unreachable(mut self) -> Self {
        self.provider_unreachable = true;
        self
    }

    /// Points the challenge-verify `verify` template alone at a closed loopback port.
    pub fn verify_unreachable(mut self) -> Self {
        self.verify_unreachable = true;
        self
    }
}
