//! A read-only walk over the parsed document that always knows the dotted path of the
//! node it stands on, so that every error names the field as the operator wrote it.
//!
//! Errors built here never quote a string value from the document: values may be API
//! keys, URLs with tokens, or the data key.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::ConfigError;

/// Builds an error for the field at `path` (the empty path is the document itself).
pub(super) fn error(path: &str, message: impl Into<String>) -> ConfigError {
    let field = if path.is_empty() { "(root)" } else { path };
    ConfigError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The path of `key` inside the node at `parent`.
pub(super) fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// One value of the document and where it sits.
#[derive(Clone, Copy)]
pub(super) struct Node<'a> {
    path: &'a str,
    value: &'a Value,
}

impl<'a> Node<'a> {
    /// A node at `path`.
    pub(super) fn new(path: &'a str, value: &'a Value) -> Self {
        Self { path, value }
    }

    /// The dotted path of this node.
    pub(super) fn path(&self) -> &'a str {
        self.path
    }

    /// The raw value.
    pub(super) fn value(&self) -> &'a Value {
        self.value
    }

    /// An error about this node.
    pub(super) fn error(&self, message: impl Into<String>) -> ConfigError {
        error(self.path, message)
    }

    /// The node as a mapping whose keys will be taken one by one.
    pub(super) fn object(&self) -> Result<Fields<'a>, ConfigError> {
        match self.value {
            Value::Object(map) => Ok(Fields {
                path: self.path,
                map,
                taken: BTreeSet::new(),
            }),
            other => Err(self.error(format!("must be a mapping, got {}", kind(other)))),
        }
    }

    /// The node as a string.
    pub(super) fn string(&self) -> Result<&'a str, ConfigError> {
        match self.value {
            Value::String(text) => Ok(text),
            other => Err(self.error(format!("must be a string, got {}", kind(other)))),
        }
    }

    /// The node as a boolean.
    pub(super) fn boolean(&self) -> Result<bool, ConfigError> {
        match self.value {
            Value::Bool(flag) => Ok(*flag),
            other => Err(self.error(format!("must be true or false, got {}", kind(other)))),
        }
    }

    /// The node as a whole number within `min..=max`.
    pub(super) fn integer_in(&self, min: u64, max: u64) -> Result<u64, ConfigError> {
        let out_of_range = |shown: &dyn std::fmt::Display| {
            self.error(format!("must be between {min} and {max}, got {shown}"))
        };
        match self.value {
            Value::Number(number) => match (number.as_u64(), number.as_i64()) {
                (Some(n), _) if (min..=max).contains(&n) => Ok(n),
                (Some(n), _) => Err(out_of_range(&n)),
                (None, Some(n)) => Err(out_of_range(&n)),
                (None, None) => {
                    Err(self.error(format!("must be a whole number between {min} and {max}")))
                }
            },
            other => Err(self.error(format!(
                "must be a whole number between {min} and {max}, got {}",
                kind(other)
            ))),
        }
    }

    /// The node as a list of nodes, each with its `[index]` path.
    pub(super) fn items(&self) -> Result<Vec<(String, &'a Value)>, ConfigError> {
        match self.value {
            Value::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(index, item)| (format!("{}[{index}]", self.path), item))
                .collect()),
            other => Err(self.error(format!("must be a list, got {}", kind(other)))),
        }
    }
}

/// The keys of a mapping, taken one by one; the keys nobody took are unknown.
pub(super) struct Fields<'a> {
    path: &'a str,
    map: &'a Map<String, Value>,
    taken: BTreeSet<&'a str>,
}

/// A value taken from a mapping, with the path it was found at.
pub(super) struct Taken<'a> {
    /// The dotted path of the key.
    pub(super) path: String,
    /// The value; never `null` (a `null` counts as absent).
    pub(super) value: &'a Value,
}

impl<'a> Taken<'a> {
    /// The taken value as a node.
    pub(super) fn node(&self) -> Node<'_> {
        Node::new(&self.path, self.value)
    }
}

impl<'a> Fields<'a> {
    /// The path of the mapping.
    pub(super) fn path(&self) -> &'a str {
        self.path
    }

    /// Whether the mapping has `key` with a non-null value (without taking it).
    pub(super) fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|value| !value.is_null())
    }

    /// Takes `key`; `None` when it is absent or `null` (an empty YAML entry).
    pub(super) fn take(&mut self, key: &str) -> Option<Taken<'a>> {
        let (key, value) = self.map.get_key_value(key)?;
        self.taken.insert(key.as_str());
        (!value.is_null()).then(|| Taken {
            path: child_path(self.path, key),
            value,
        })
    }

    /// The keys not taken so far, in the mapping's order.
    pub(super) fn rest(&self) -> Vec<&'a str> {
        self.map
            .keys()
            .map(String::as_str)
            .filter(|key| !self.taken.contains(key))
            .collect()
    }

    /// Every entry, in the mapping's order; marks them all taken.
    pub(super) fn entries(&mut self) -> Vec<(&'a str, &'a Value)> {
        let entries: Vec<_> = self.map.iter().map(|(k, v)| (k.as_str(), v)).collect();
        self.taken.extend(entries.iter().map(|(key, _)| *key));
        entries
    }

    /// Fails on the first key that is not among `expected`, taken or not.
    pub(super) fn finish_unknown(&self, expected: &[&str]) -> Result<(), ConfigError> {
        match self
            .map
            .keys()
            .find(|key| !expected.contains(&key.as_str()))
        {
            None => Ok(()),
            Some(key) => Err(unknown(self.path, key, expected)),
        }
    }

    /// Fails on the first key nobody took, listing the expected ones.
    pub(super) fn finish(&self, expected: &[&str]) -> Result<(), ConfigError> {
        match self.rest().first() {
            None => Ok(()),
            Some(key) => Err(unknown(self.path, key, expected)),
        }
    }
}

fn unknown(path: &str, key: &str, expected: &[&str]) -> ConfigError {
    error(
        &child_path(path, key),
        format!("unknown key; expected one of: {}", expected.join(", ")),
    )
}

/// What kind of value this is, for messages that must not quote it.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
