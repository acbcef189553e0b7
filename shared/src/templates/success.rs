//! The rules judging a provider's 2xx answer. Whatever a rule cannot read is a
//! refusal: failing closed is the point.

/// How a provider's answer is judged a success, beyond its 2xx status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuccessRule {
    /// A JSON field (dotted path) equal to a value.
    JsonField {
        /// Dotted path to the field, e.g. `status` or `result.state`; a numeric step
        /// indexes an array.
        path: String,
        /// The value it must equal.
        equals: serde_json::Value,
    },
    /// The body starts with this text (an empty prefix accepts nothing).
    BodyPrefix(String),
}

impl SuccessRule {
    /// Whether a 2xx answer's body passes the rule. A body that is not JSON, a path
    /// that leads nowhere or an empty prefix is `false`.
    pub fn accepts(&self, body: &[u8]) -> bool {
        match self {
            Self::JsonField { path, equals } => serde_json::from_slice(body)
                .ok()
                .and_then(|json: serde_json::Value| field(&json, path).cloned())
                .is_some_and(|value| value == *equals),
            Self::BodyPrefix(prefix) => !prefix.is_empty() && body.starts_with(prefix.as_bytes()),
        }
    }
}

/// The value at a dotted path: object keys, or array indexes for numeric steps.
fn field<'a>(json: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(json, |value, step| match value {
        serde_json::Value::Object(map) => map.get(step),
        serde_json::Value::Array(items) => items.get(step.parse::<usize>().ok()?),
        _ => None,
    })
}
