//! Validated request values: what a route may trust once parsing succeeded.
//!
//! Each type has a `parse` that refuses bad input with a client-facing message naming
//! the field, never echoing a secret value back.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// A Pryv username: 5 to 60 of `a-z 0-9 -`, not starting or ending with `-`.
///
/// Pryv usernames are case-insensitive (they also live in host names), so ASCII
/// upper case is folded to lower case before the check.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    /// Checks a username by Pryv's rule.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let name = raw.to_ascii_lowercase();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        let valid = (5..=60).contains(&name.len())
            && name.chars().all(allowed)
            && !name.starts_with('-')
            && !name.ends_with('-');
        if valid {
            Ok(Self(name))
        } else {
            Err(ApiError::format(
                "Invalid username: expected 5 to 60 characters of a-z, 0-9 and '-', \
                 not starting or ending with '-'.",
            ))
        }
    }

    /// The username as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({})", self.0)
    }
}

/// The most keys a user's MFA data may have.
pub const USER_DATA_MAX_KEYS: usize = 20;
/// The most bytes a user's MFA data may take, as JSON.
pub const USER_DATA_MAX_BYTES: usize = 4096;

/// A user's MFA data: the values substituted in the operator's templates (phone
/// number, e-mail, language, message...).
///
/// Its `Debug` shows the keys only: the values are personal data.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserData(BTreeMap<String, String>);

impl UserData {
    /// Checks a JSON body: an object of at most 20 string values, at most 4 KiB.
    pub fn parse(body: &serde_json::Value) -> Result<Self, ApiError> {
        let object = body
            .as_object()
            .ok_or_else(|| ApiError::format("The MFA data must be a JSON object."))?;
        if object.len() > USER_DATA_MAX_KEYS {
            return Err(ApiError::format(format!(
                "The MFA data has too many keys: at most {USER_DATA_MAX_KEYS}."
            )));
        }
        let mut values = BTreeMap::new();
        for (key, value) in object {
            let text = value.as_str().ok_or_else(|| {
                ApiError::format(format!("The MFA data value of '{key}' must be a string."))
            })?;
            if key == "code" {
                return Err(ApiError::format(
                    "The MFA data cannot have a key named 'code': it is reserved for the code.",
                ));
            }
            values.insert(key.clone(), text.to_owned());
        }
        let data = Self(values);
        if data.to_json().len() > USER_DATA_MAX_BYTES {
            return Err(ApiError::format(format!(
                "The MFA data is too large: at most {USER_DATA_MAX_BYTES} bytes."
            )));
        }
        Ok(data)
    }

    /// Builds user data from pairs, for tests and the sandbox.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The value of one variable.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The variables and their values.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The canonical JSON form, as stored (sealed) and size-checked.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for UserData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// The most digits a submitted code may have (providers use 4 to 10).
pub const CODE_MAX_DIGITS: usize = 16;

/// A code typed by the user: a JSON string of ASCII digits.
///
/// Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// Reads the `code` field of a confirm or verify body.
    pub fn from_body(body: &serde_json::Value) -> Result<Self, ApiError> {
        let value = body
            .get("code")
            .filter(|v| !v.is_null())
            .ok_or_else(|| ApiError::structure("Missing parameter 'code'."))?;
        let text = value
            .as_str()
            .ok_or_else(|| ApiError::format("The parameter 'code' must be a string of digits."))?;
        let valid = !text.is_empty()
            && text.len() <= CODE_MAX_DIGITS
            && text.bytes().all(|b| b.is_ascii_digit());
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(ApiError::format(format!(
                "The parameter 'code' must be 1 to {CODE_MAX_DIGITS} ASCII digits."
            )))
        }
    }

    /// Wraps a known-good code (a generated one).
    pub fn from_digits(digits: String) -> Self {
        Self(digits)
    }

    /// The digits.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usernames_follow_pryvs_rule() {
        for good in ["alice", "Alice1", "a-b-c", "abcde", &"a".repeat(60)] {
            assert!(Username::parse(good).is_ok(), "{good} should pass");
        }
        for bad in [
            "abcd",
            "-alice",
            "alice-",
            "al ice",
            "alicé",
            "al_ce",
            &"a".repeat(61),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn user_data_takes_string_values_only() {
        assert!(UserData::parse(&json!({"phone": "41791231212"})).is_ok());
        assert!(UserData::parse(&json!({"phone": 41791231212u64})).is_err());
        assert!(UserData::parse(&json!(["41791231212"])).is_err());
        assert!(UserData::parse(&json!({"code": "1"})).is_err());
    }

    #[test]
    fn user_data_is_bounded_in_keys_and_bytes() {
        let many: serde_json::Map<_, _> = (0..21).map(|i| (format!("k{i}"), json!("v"))).collect();
        let large = json!({ "message": "x".repeat(4100) });

        assert!(UserData::parse(&serde_json::Value::Object(many)).is_err());
        assert!(UserData::parse(&large).is_err());
    }

    #[test]
    fn user_data_debug_shows_keys_not_values() {
        let data = UserData::from_pairs([("phone", "41791231212")]);

        assert_eq!(format!("{data:?}"), r#"{"phone"}"#);
    }

    #[test]
    fn codes_are_strings_of_ascii_digits() {
        assert!(Code::from_body(&json!({"code": "123456"})).is_ok());
        for bad in [
            json!({"code": 123456}),
            json!({"code": "１２３"}),
            json!({"code": " 123"}),
            json!({"code": ""}),
        ] {
            let error = Code::from_body(&bad).unwrap_err();
            assert_eq!(error.id(), Some("invalid-parameters-format"), "{bad}");
        }
        let missing = Code::from_body(&json!({})).unwrap_err();
        assert_eq!(missing.id(), Some("invalid-request-structure"));
    }
}
