//! Codes, mfaTokens, recovery codes, and what keeps them safe: hashing, sealing and
//! constant-time comparison. Every random value comes from the OS random source.
//!
//! Keys are never used for two purposes: each use (sealing a session, digesting a
//! code, sealing user data, digesting a destination) gets its own subkey, derived by
//! HKDF-SHA256 with a label of its own. Nothing here logs or formats a secret: the
//! `Debug` of every secret-holding type is redacted.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::distr::{Distribution, Uniform};
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::Username;

/// HKDF label of the key sealing a session's data under its mfaToken.
const SESSION_SEAL_LABEL: &[u8] = b"pryv-mfa session seal";
/// HKDF label of the key digesting a session's code under its mfaToken.
const CODE_DIGEST_LABEL: &[u8] = b"pryv-mfa code digest";
/// HKDF label of the key sealing users' MFA data at rest.
const DATA_SEAL_LABEL: &[u8] = b"pryv-mfa data seal";
/// HKDF label of the key digesting destinations for counters.
const DESTINATION_LABEL: &[u8] = b"pryv-mfa destination";
/// Domain separator of recovery code hashes.
const RECOVERY_LABEL: &str = "pryv-mfa recovery";

/// AES-GCM's standard 96-bit nonce.
const NONCE_LEN: usize = 12;
/// AES-GCM's authentication tag.
const TAG_LEN: usize = 16;

/// The OS random source, as an infallible generator.
///
/// `SysRng` asks the OS (getrandom(2) on Linux) for every draw: no user-space state
/// that a fork or a frozen Lambda snapshot could duplicate. `UnwrapErr` panics if the
/// OS cannot give randomness; there is no safe fallback for a secret, and on Linux
/// getrandom only fails before the entropy pool is initialised at boot.
fn os_rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}

/// `N` bytes from the OS random source.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    os_rng().fill_bytes(&mut bytes);
    bytes
}

/// A 256-bit subkey of `secret` for one purpose.
fn subkey(secret: &[u8], label: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, secret)
        .expand(label, &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

/// Hex HMAC-SHA256 of `message` under `key`.
fn hmac_hex(key: &[u8; 32], message: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC-SHA256 takes keys of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// AES-256-GCM under `key` with a fresh random nonce: base64(nonce || ciphertext).
fn seal_with(key: &[u8; 32], plaintext: &[u8]) -> String {
    let cipher = Aes256Gcm::new(&(*key).into());
    let nonce = random_bytes::<NONCE_LEN>();
    // A random 96-bit nonce is safe for up to about 2^32 seals per key: far above the
    // seals of one session, and of one deployment's user records between key changes.
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext)
        .expect("AES-GCM seals any input shorter than 64 GiB");
    let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    STANDARD.encode(sealed)
}

/// Opens what [`seal_with`] sealed under `key`; `None` on any failure.
fn open_with(key: &[u8; 32], sealed: &str) -> Option<Vec<u8>> {
    let bytes = STANDARD.decode(sealed).ok()?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(&(*key).into());
    cipher.decrypt(Nonce::from_slice(nonce), ciphertext).ok()
}

/// An mfaToken: 256 random bits, given to the client and never stored.
///
/// Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaToken(String);

impl MfaToken {
    /// A fresh token: 32 bytes from the OS, URL-safe base64 without padding (43
    /// characters).
    pub fn generate() -> Self {
        Self(URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
    }

    /// A token as the client sent it.
    pub fn from_client(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The token text, to send to its holder.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The store key of the token's session: the hex SHA-256 of the token, not the
    /// token.
    pub fn session_id(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// Seals data so that only this token's holder can open it (AES-256-GCM under a
    /// key derived from the token).
    pub fn seal(&self, plaintext: &[u8]) -> String {
        seal_with(&subkey(self.0.as_bytes(), SESSION_SEAL_LABEL), plaintext)
    }

    /// Opens what [`MfaToken::seal`] sealed; `None` if it was not sealed by this token.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        open_with(&subkey(self.0.as_bytes(), SESSION_SEAL_LABEL), sealed)
    }

    /// A keyed digest of a code (hex HMAC-SHA256), checkable only with this token.
    pub fn code_digest(&self, code: &str) -> String {
        hmac_hex(
            &subkey(self.0.as_bytes(), CODE_DIGEST_LABEL),
            code.as_bytes(),
        )
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
        Self(random_bytes::<32>())
    }

    /// A key from its standard base64 form (surrounding whitespace, such as the
    /// newline of a file or parameter, ignored); `None` unless it decodes to exactly
    /// 32 bytes.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.trim()).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// Seals data under this key (AES-256-GCM under a subkey for data at rest).
    pub fn seal(&self, plaintext: &[u8]) -> String {
        seal_with(&subkey(&self.0, DATA_SEAL_LABEL), plaintext)
    }

    /// Opens what [`DataKey::seal`] sealed; `None` on any failure.
    //
    // Known limit: no associated data binds a sealed value to its record, so someone
    // able to write the table could move one user's sealed data to another user's
    // record; they could not read or forge it.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        open_with(&subkey(&self.0, DATA_SEAL_LABEL), sealed)
    }

    /// A keyed, irreversible digest of a destination (phone number, e-mail), for
    /// counters: the destination itself is never stored.
    pub fn destination_digest(&self, destination: &str) -> String {
        hmac_hex(&subkey(&self.0, DESTINATION_LABEL), destination.as_bytes())
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// A code of `length` digits, each uniform.
///
/// Each digit is drawn by rand's `Uniform` distribution over the OS random source.
/// `Uniform::sample` uses Lemire's method with rejection, which has no modulo bias
/// (unlike `random_range`, whose single-shot method may be slightly biased without
/// rand's `unbiased` feature).
pub fn generate_code(length: u8) -> String {
    let digits = Uniform::new_inclusive(0u8, 9).expect("0..=9 is a valid range");
    let mut rng = os_rng();
    (0..length)
        .map(|_| char::from(b'0' + digits.sample(&mut rng)))
        .collect()
}

/// `count` recovery codes, each a UUID v4 (122 random bits from the OS) written as
/// Pryv's original MFA service wrote them: lower-case hex, hyphenated.
pub fn generate_recovery_codes(count: usize) -> Vec<String> {
    let mut codes: Vec<String> = Vec::with_capacity(count);
    while codes.len() < count {
        let code = uuid_v4();
        // A repeat has probability about count² / 2^123: checked anyway, as "all
        // distinct" is promised to the user.
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// A random UUID v4 in its hyphenated lower-case form.
fn uuid_v4() -> String {
    let mut bytes = random_bytes::<16>();
    // RFC 9562: version 4 in the high nibble of byte 6, variant 0b10 in byte 8.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The stored form of a recovery code, bound to its user: hex SHA-256 of
/// `"pryv-mfa recovery\0{user}\0{code}"`. A username holds no NUL, so the encoding
/// is unambiguous.
pub fn recovery_code_hash(user: &Username, code: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(RECOVERY_LABEL.as_bytes());
    hasher.update([0]);
    hasher.update(user.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(code.as_bytes());
    hex::encode(hasher.finalize())
}

/// Compares two secrets in constant time (for equal lengths; a length mismatch is
/// `false`, and lengths are not secret here: digests have fixed lengths).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_exactly_the_requested_number_of_digits() {
        for length in 4..=10u8 {
            for _ in 0..200 {
                let code = generate_code(length);

                assert_eq!(code.len(), usize::from(length));
                assert!(code.bytes().all(|b| b.is_ascii_digit()), "length {length}");
            }
        }
    }

    /// 100,000 six-digit codes give 600,000 digits, 60,000 of each expected. Pearson's
    /// statistic has 9 degrees of freedom; at significance 1e-6 its critical value is
    /// 44.81, not the 45.6 sometimes quoted (which is significance 7.1e-7). For 9
    /// degrees of freedom the tail has a closed form, with s = √x and φ the standard
    /// normal density: P(X > x) = erfc(s/√2) + 2φ(s)(s + s³/3 + s⁵/15 + s⁷/105),
    /// which is 1.0004e-6 at x = 44.81 and 0.996e-6 at x = 44.82. A fair generator
    /// fails this once in a million runs; a modulo-biased `byte % 10` (digits 0-5 at
    /// 26/256, 6-9 at 25/256) gives a statistic near 230.
    #[test]
    fn code_digits_are_uniform_by_a_chi_square_test() {
        const CRITICAL_9_DOF_1E_6: f64 = 44.81;
        let mut counts = [0u64; 10];

        for _ in 0..100_000 {
            for digit in generate_code(6).bytes() {
                counts[usize::from(digit - b'0')] += 1;
            }
        }

        let total: u64 = counts.iter().sum();
        assert_eq!(total, 600_000);
        let expected = total as f64 / 10.0;
        let statistic: f64 = counts
            .iter()
            .map(|&observed| (observed as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            statistic < CRITICAL_9_DOF_1E_6,
            "chi-square {statistic:.2} over {counts:?}"
        );
    }

    #[test]
    fn tokens_are_43_url_safe_characters_and_distinct() {
        let tokens: Vec<MfaToken> = (0..1000).map(|_| MfaToken::generate()).collect();

        for token in &tokens {
            assert_eq!(token.expose().len(), 43);
            let raw = URL_SAFE_NO_PAD
                .decode(token.expose())
                .expect("URL-safe base64");
            assert_eq!(raw.len(), 32);
        }
        let distinct: std::collections::BTreeSet<&str> =
            tokens.iter().map(MfaToken::expose).collect();
        assert_eq!(distinct.len(), tokens.len());
    }

    #[test]
    fn token_debug_is_redacted() {
        let token = MfaToken::from_client("secret-token-text");

        assert!(!format!("{token:?}").contains("secret"));
        assert_eq!(format!("{:?}", DataKey::generate()), "DataKey(<redacted>)");
    }

    #[test]
    fn session_id_is_the_hex_sha256_of_the_token() {
        let token = MfaToken::from_client("abc");

        assert_eq!(
            token.session_id(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(MfaToken::generate().session_id(), token.session_id());
    }

    #[test]
    fn a_token_opens_what_it_sealed() {
        let token = MfaToken::generate();

        let sealed = token.seal(b"core personal token");

        assert_eq!(
            token.open(&sealed).as_deref(),
            Some(&b"core personal token"[..])
        );
        assert!(!sealed.contains("core personal token"));
        assert_ne!(token.seal(b"core personal token"), sealed, "nonces differ");
    }

    #[test]
    fn another_token_cannot_open_a_seal() {
        let sealed = MfaToken::generate().seal(b"core personal token");

        assert_eq!(MfaToken::generate().open(&sealed), None);
    }

    #[test]
    fn a_tampered_seal_does_not_open() {
        let token = MfaToken::generate();
        let mut bytes = STANDARD.decode(token.seal(b"core personal token")).unwrap();

        for index in [0, NONCE_LEN, bytes.len() - 1] {
            bytes[index] ^= 1;
            assert_eq!(token.open(&STANDARD.encode(&bytes)), None, "byte {index}");
            bytes[index] ^= 1;
        }
        assert_eq!(token.open("not base64 at all!"), None);
        assert_eq!(token.open(&STANDARD.encode([0u8; 20])), None);
        assert_eq!(token.open(""), None);
    }

    #[test]
    fn code_digests_depend_on_token_and_code() {
        let token = MfaToken::generate();

        let digest = token.code_digest("123456");

        assert_eq!(digest.len(), 64);
        assert_eq!(token.code_digest("123456"), digest);
        assert_ne!(token.code_digest("123457"), digest);
        assert_ne!(MfaToken::generate().code_digest("123456"), digest);
        assert_ne!(token.session_id(), token.code_digest(token.expose()));
    }

    #[test]
    fn data_keys_are_read_from_32_bytes_of_base64() {
        let encoded = STANDARD.encode([7u8; 32]);

        assert!(DataKey::from_base64(&encoded).is_some());
        assert!(DataKey::from_base64(&STANDARD.encode([7u8; 31])).is_none());
        assert!(DataKey::from_base64(&STANDARD.encode([7u8; 33])).is_none());
        assert!(DataKey::from_base64("not base64!").is_none());
    }

    #[test]
    fn a_data_key_opens_only_its_own_seals() {
        let key = DataKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let same = DataKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();

        let sealed = key.seal(br#"{"phone":"41791231212"}"#);

        assert_eq!(
            same.open(&sealed).as_deref(),
            Some(&br#"{"phone":"41791231212"}"#[..])
        );
        assert_eq!(DataKey::generate().open(&sealed), None);
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        bytes[NONCE_LEN + 2] ^= 0x80;
        assert_eq!(key.open(&STANDARD.encode(bytes)), None);
    }

    #[test]
    fn destination_digests_are_keyed() {
        let key = DataKey::generate();

        let digest = key.destination_digest("41791231212");

        assert_eq!(digest.len(), 64);
        assert!(!digest.contains("41791231212"));
        assert_eq!(key.destination_digest("41791231212"), digest);
        assert_ne!(key.destination_digest("41791231213"), digest);
        assert_ne!(
            DataKey::generate().destination_digest("41791231212"),
            digest
        );
    }

    /// A UUID v4 as `xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx`, N in 8, 9, a, b.
    fn is_uuid_v4(text: &str) -> bool {
        let groups: Vec<&str> = text.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        let lower_hex = |g: &&str| g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        lengths == [8, 4, 4, 4, 12]
            && groups.iter().all(lower_hex)
            && groups[2].starts_with('4')
            && groups[3].starts_with(['8', '9', 'a', 'b'])
    }

    #[test]
    fn recovery_codes_are_distinct_uuid_v4() {
        let codes = generate_recovery_codes(10);

        assert_eq!(codes.len(), 10);
        for code in &codes {
            assert!(is_uuid_v4(code), "{code}");
        }
        let many = generate_recovery_codes(2000);
        let distinct: std::collections::BTreeSet<&String> = many.iter().collect();
        assert_eq!(distinct.len(), 2000);
        // The variant nibble takes all four values: the 2 random bits are not fixed.
        let variants: std::collections::BTreeSet<u8> =
            many.iter().map(|c| c.as_bytes()[19]).collect();
        assert_eq!(variants.len(), 4);
    }

    #[test]
    fn recovery_code_hashes_bind_the_user() {
        let alice = Username::parse("alice").unwrap();
        let bob = Username::parse("bobby").unwrap();
        let code = "0b5c7c1e-8e7f-4a51-9d0e-9d6b4e1f2a3c";

        let hash = recovery_code_hash(&alice, code);

        assert_eq!(hash.len(), 64);
        assert_eq!(recovery_code_hash(&alice, code), hash);
        assert_ne!(recovery_code_hash(&bob, code), hash);
        assert_ne!(
            recovery_code_hash(&alice, "0b5c7c1e-8e7f-4a51-9d0e-9d6b4e1f2a3d"),
            hash
        );
        assert!(!hash.contains("0b5c7c1e"));
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }
}
