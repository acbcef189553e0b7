//! Conversion between the store's types and DynamoDB items, in one place.
//!
//! Reading an item checks every attribute it needs and fails with
//! [`StoreError::Corrupt`] naming the attribute, never showing its value.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::Username;
use crate::store::{Profile, Purpose, Session, StoreError};

/// A DynamoDB item: attribute name to value.
pub(super) type Item = HashMap<String, AttributeValue>;

/// Attribute names, as written in the module doc of `dynamodb`.
pub(super) mod attr {
    /// The partition key.
    pub const PK: &str = "pk";
    /// When DynamoDB may delete the item (Unix seconds). `TTL` is a reserved word:
    /// expressions must name it through `#ttl`.
    pub const TTL: &str = "ttl";
    pub const SEALED_DATA: &str = "sealedData";
    pub const RECOVERY_HASHES: &str = "recoveryHashes";
    pub const ACTIVATED_AT: &str = "activatedAt";
    pub const USERNAME: &str = "username";
    pub const PURPOSE: &str = "purpose";
    pub const SEALED: &str = "sealed";
    pub const EXPIRES_AT: &str = "expiresAt";
    pub const CODE_DIGEST: &str = "codeDigest";
    pub const CODE_EXPIRES_AT: &str = "codeExpiresAt";
    pub const ATTEMPTS: &str = "attempts";
    pub const LAST_SEND_AT: &str = "lastSendAt";
    /// `COUNT` is a reserved word: expressions must name it through `#count`.
    pub const COUNT: &str = "count";
}

const PROFILE_PREFIX: &str = "user#";
const SESSION_PREFIX: &str = "session#";
const COUNTER_PREFIX: &str = "counter#";

/// The key of a user's profile item.
pub(super) fn profile_key(user: &Username) -> AttributeValue {
    AttributeValue::S(format!("{PROFILE_PREFIX}{}", user.as_str()))
}

/// The key of a session item.
pub(super) fn session_key(id: &str) -> AttributeValue {
    AttributeValue::S(format!("{SESSION_PREFIX}{id}"))
}

/// The key of a counter item.
pub(super) fn counter_key(key: &str) -> AttributeValue {
    AttributeValue::S(format!("{COUNTER_PREFIX}{key}"))
}

/// A number attribute.
pub(super) fn number(value: impl Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A string attribute.
pub(super) fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn purpose_name(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Activation => "activation",
        Purpose::Login => "login",
    }
}

/// The stored form of a purpose, for conditions.
pub(super) fn purpose(purpose: Purpose) -> AttributeValue {
    string(purpose_name(purpose))
}

/// The item holding a user's profile.
pub(super) fn profile_item(user: &Username, profile: &Profile) -> Item {
    // A list, not a string set: a set cannot be empty, and `contains` works on both.
    let hashes = profile
        .recovery_hashes
        .iter()
        .cloned()
        .map(AttributeValue::S);
    HashMap::from([
        (attr::PK.to_owned(), profile_key(user)),
        (attr::SEALED_DATA.to_owned(), string(&profile.sealed_data)),
        (
            attr::RECOVERY_HASHES.to_owned(),
            AttributeValue::L(hashes.collect()),
        ),
        (attr::ACTIVATED_AT.to_owned(), number(profile.activated_at)),
    ])
}

/// Reads a profile item back.
pub(super) fn profile_from_item(item: &Item) -> Result<Profile, StoreError> {
    let hashes = match item.get(attr::RECOVERY_HASHES) {
        Some(AttributeValue::L(values)) => values
            .iter()
            .map(|value| match value {
                AttributeValue::S(hash) => Ok(hash.clone()),
                _ => Err(corrupt(attr::RECOVERY_HASHES, "holds a non-string")),
            })
            .collect::<Result<_, _>>()?,
        // Accepted too, should an operator have migrated records as a string set.
        Some(AttributeValue::Ss(values)) => values.clone(),
        Some(_) => return Err(corrupt(attr::RECOVERY_HASHES, "is not a list")),
        None => return Err(corrupt(attr::RECOVERY_HASHES, "is missing")),
    };
    Ok(Profile {
        sealed_data: required_string(item, attr::SEALED_DATA)?.to_owned(),
        recovery_hashes: hashes,
        activated_at: required_number(item, attr::ACTIVATED_AT)?,
    })
}

/// The item holding a session. Its `ttl` is the session's end.
pub(super) fn session_item(session: &Session) -> Item {
    let mut item = HashMap::from([
        (attr::PK.to_owned(), session_key(&session.id)),
        (attr::USERNAME.to_owned(), string(session.username.as_str())),
        (attr::PURPOSE.to_owned(), purpose(session.purpose)),
        (attr::SEALED.to_owned(), string(&session.sealed)),
        (attr::EXPIRES_AT.to_owned(), number(session.expires_at)),
        (attr::TTL.to_owned(), number(session.expires_at)),
        (attr::ATTEMPTS.to_owned(), number(session.attempts)),
    ]);
    let optional = [
        (attr::CODE_DIGEST, session.code_digest.clone().map(string)),
        (attr::CODE_EXPIRES_AT, session.code_expires_at.map(number)),
        (attr::LAST_SEND_AT, session.last_send_at.map(number)),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_owned(), value);
        }
    }
    item
}

/// Reads a session item back.
pub(super) fn session_from_item(item: &Item) -> Result<Session, StoreError> {
    let key = required_string(item, attr::PK)?;
    let id = key
        .strip_prefix(SESSION_PREFIX)
        .ok_or_else(|| corrupt(attr::PK, "is not a session key"))?;
    let username = Username::parse(required_string(item, attr::USERNAME)?)
        .map_err(|_| corrupt(attr::USERNAME, "is not a valid username"))?;
    let purpose = match required_string(item, attr::PURPOSE)? {
        "activation" => Purpose::Activation,
        "login" => Purpose::Login,
        _ => return Err(corrupt(attr::PURPOSE, "is not a known purpose")),
    };
    Ok(Session {
        id: id.to_owned(),
        username,
        purpose,
        sealed: required_string(item, attr::SEALED)?.to_owned(),
        expires_at: required_number(item, attr::EXPIRES_AT)?,
        code_digest: optional_string(item, attr::CODE_DIGEST)?.map(str::to_owned),
        code_expires_at: optional_number(item, attr::CODE_EXPIRES_AT)?,
        attempts: required_number(item, attr::ATTEMPTS)?,
        last_send_at: optional_number(item, attr::LAST_SEND_AT)?,
    })
}

/// A counter's value and the end of its window.
pub(super) fn counter_from_item(item: &Item) -> Result<(u32, u64), StoreError> {
    Ok((
        required_number(item, attr::COUNT)?,
        required_number(item, attr::EXPIRES_AT)?,
    ))
}

/// A string attribute that must be there.
pub(super) fn required_string<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    optional_string(item, name)?.ok_or_else(|| corrupt(name, "is missing"))
}

/// A number attribute that must be there.
pub(super) fn required_number<T: FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    optional_number(item, name)?.ok_or_else(|| corrupt(name, "is missing"))
}

fn optional_string<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value)),
        Some(_) => Err(corrupt(name, "is not a string")),
    }
}

/// A number attribute that may be absent.
pub(super) fn optional_number<T: FromStr>(
    item: &Item,
    name: &str,
) -> Result<Option<T>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(value)) => value
            .parse()
            .map(Some)
            .map_err(|_| corrupt(name, "is out of range")),
        Some(_) => Err(corrupt(name, "is not a number")),
    }
}

/// An unreadable item; only the attribute's name goes in the text.
fn corrupt(name: &str, problem: &str) -> StoreError {
    StoreError::Corrupt(anyhow::anyhow!("attribute `{name}` {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            id: "abc".to_owned(),
            username: Username::parse("alice-01").expect("valid username"),
            purpose: Purpose::Login,
            sealed: "sealed".to_owned(),
            expires_at: 100,
            code_digest: Some("digest".to_owned()),
            code_expires_at: Some(90),
            attempts: 2,
            last_send_at: None,
        }
    }

    #[test]
    fn a_session_reads_back_as_written() {
        let session = session();

        let item = session_item(&session);

        assert_eq!(session_from_item(&item).expect("readable"), session);
        assert!(!item.contains_key(attr::LAST_SEND_AT));
        assert_eq!(item.get(attr::TTL), Some(&number(100)));
    }

    #[test]
    fn a_profile_with_no_recovery_codes_reads_back_as_written() {
        let user = Username::parse("alice-01").expect("valid username");
        let profile = Profile {
            sealed_data: "data".to_owned(),
            recovery_hashes: Vec::new(),
            activated_at: 7,
        };

        let item = profile_item(&user, &profile);

        assert_eq!(profile_from_item(&item).expect("readable"), profile);
    }

    #[test]
    fn an_unreadable_attribute_is_corrupt_and_named_without_its_value() {
        let mut item = session_item(&session());
        item.insert(attr::ATTEMPTS.to_owned(), string("secret-value"));

        let error = session_from_item(&item).expect_err("mistyped attribute");

        let text = format!("{error:#}");
        assert!(matches!(error, StoreError::Corrupt(_)));
        assert!(text.contains("attempts"), "{text}");
        assert!(!text.contains("secret-value"), "{text}");
    }

    #[test]
    fn a_missing_attribute_is_corrupt() {
        let mut item = session_item(&session());
        item.remove(attr::SEALED);

        assert!(matches!(
            session_from_item(&item),
            Err(StoreError::Corrupt(_))
        ));
    }
}
