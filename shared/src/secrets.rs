//! Codes, mfaTokens, recovery codes, and what keeps them safe: hashing, sealing and
//! constant-time comparison. Every random value comes from the OS random source.
//!
//! STUB: the API below is fixed; the bodies are written in their own change.

use std::fmt;

use crate::domain::Username;

/// An mfaToken: 256 random bits, given to the client and never stored.
///
/// Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaToken(String);

impl MfaToken {
    /// A fresh token.
    pub fn generate() -> Self {
        Self(String::new())
    }

    /// A token as the client sent it.
    pub fn from_client(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The token text, to send to its holder.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The store key of the token's session: a hash, not the token.
    pub fn session_id(&self) -> String {
        String::new()
    }

    /// Seals data so that only this token's holder can open it.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let _ = plaintext;
        String::new()
    }

    /// Opens what [`MfaToken::seal`] sealed; `None` if it was not sealed by this token.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let _ = sealed;
        None
    }

    /// A keyed digest of a code, checkable only with this token.
    pub fn code_digest(&self, code: &str) -> String {
        let _ = code;
        String::new()
    }
}

impl fmt::Debug for MfaToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MfaToken(<redacted>)")
    }
}

/// The key sealing users' MFA data at rest.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl DataKey {
    /// A fresh random key (local work with the in-memory store).
    pub fn generate() -> Self {
        Self([0; 32])
    }

    /// A key from its base64 form (32 bytes).
    pub fn from_base64(text: &str) -> Option<Self> {
        let _ = text;
        None
    }

    /// Seals data under this key.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let _ = plaintext;
        String::new()
    }

    /// Opens what [`DataKey::seal`] sealed.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let _ = sealed;
        None
    }

    /// A keyed, irreversible digest of a destination (phone number, e-mail), for
    /// counters: the destination itself is never stored.
    pub fn destination_digest(&self, destination: &str) -> String {
        let _ = destination;
        String::new()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// A code of `length` digits, each uniform.
pub fn generate_code(length: u8) -> String {
    "0".repeat(usize::from(length))
}

/// `count` recovery codes of at least 80 random bits each.
pub fn generate_recovery_codes(count: usize) -> Vec<String> {
    vec![String::new(); count]
}

/// The stored form of a recovery code, bound to its user.
pub fn recovery_code_hash(user: &Username, code: &str) -> String {
    let _ = (user, code);
    String::new()
}

/// Compares two secrets in constant time (for equal lengths).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a == b
}
