//! One endpoint template of the communication service (DESIGN.md section 4): `url`,
//! `method`, `body`, `headers` and `success`, checked field by field.
//!
//! Messages never quote a URL, body or header value: they carry API keys.

use std::collections::HashSet;

use http::{HeaderName, Method};
use url::Url;

use super::tree::{child_path, error, kind, Node, Taken};
use super::ConfigError;
use crate::templates::{Endpoint, SuccessRule, Template};

const KEYS: &[&str] = &["url", "method", "body", "headers", "success"];

/// Parses the endpoint at `taken`, used by mode `mode` (named in "missing" messages).
pub(super) fn parse(taken: &Taken<'_>, mode: &str) -> Result<Endpoint, ConfigError> {
    let mut fields = taken.node().object()?;
    let missing_url = || error(&child_path(&taken.path, "url"), missing_for(mode));
    let url = fields.take("url").ok_or_else(missing_url)?;
    let url_text = url.node().string()?;
    if url_text.trim().is_empty() {
        return Err(missing_url());
    }
    check_url(url.node(), url_text)?;

    let endpoint = Endpoint {
        url: template(url.node(), url_text)?,
        method: match fields.take("method") {
            Some(t) => method(t.node())?,
            // Documented default: the documentation's examples always give it, and a
            // send usually carries a body.
            None => Method::POST,
        },
        body: match fields.take("body") {
            Some(t) => Some(template(t.node(), t.node().string()?)?),
            None => None,
        },
        headers: match fields.take("headers") {
            Some(t) => headers(t.node())?,
            None => Vec::new(),
        },
        success: fields
            .take("success")
            .map(|t| success(t.node()))
            .transpose()?,
    };
    fields.finish(KEYS)?;
    Ok(endpoint)
}

/// The message for an endpoint or URL that the mode needs and the file lacks.
pub(super) fn missing_for(mode: &str) -> String {
    format!("missing for mode \"{mode}\"")
}

/// The URL must be absolute http(s). Its host and path may hold placeholders, so only a
/// URL without any is parsed whole; the scheme must be written out in every case.
fn check_url(node: Node<'_>, text: &str) -> Result<(), ConfigError> {
    let invalid = || node.error("must be an absolute http(s) URL");
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(invalid());
    }
    if !text.contains("{{") {
        let parsed = Url::parse(text).map_err(|_| invalid())?;
        if !parsed.has_host() {
            return Err(invalid());
        }
    }
    Ok(())
}

fn template(node: Node<'_>, text: &str) -> Result<Template, ConfigError> {
    Template::parse(text).map_err(|e| node.error(format!("invalid template: {e}")))
}

fn method(node: Node<'_>) -> Result<Method, ConfigError> {
    let text = node.string()?;
    if text.eq_ignore_ascii_case("GET") {
        Ok(Method::GET)
    } else if text.eq_ignore_ascii_case("POST") {
        Ok(Method::POST)
    } else {
        // A method name is no secret; the cut keeps a pasted blob out of the logs.
        let shown: String = text.chars().take(16).collect();
        Err(node.error(format!("must be GET or POST, got {shown:?}")))
    }
}

fn headers(node: Node<'_>) -> Result<Vec<(HeaderName, Template)>, ConfigError> {
    let mut fields = node.object()?;
    let mut seen = HashSet::new();
    let mut headers = Vec::new();
    for (name, value) in fields.entries() {
        let path = child_path(node.path(), name);
        let at = Node::new(&path, value);
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| at.error("not a valid header name"))?;
        if !seen.insert(header.clone()) {
            return Err(at.error("given twice (header names ignore case)"));
        }
        let text = match value {
            serde_json::Value::String(text) => text,
            other => {
                return Err(at.error(format!("must be a string, got {}", kind(other))));
            }
        };
        // The rendered value is checked again; this catches a literal CR or LF early.
        if !text.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
            return Err(at.error("must hold printable ASCII only"));
        }
        headers.push((header, template(at, text)?));
    }
    Ok(headers)
}

fn success(node: Node<'_>) -> Result<SuccessRule, ConfigError> {
    let mut fields = node.object()?;
    let expected = "must be {jsonPath, equals} or {bodyPrefix}";
    let rule = match (fields.take("jsonPath"), fields.take("bodyPrefix")) {
        (Some(path), None) => {
            let path_text = path.node().string()?;
            if path_text.is_empty() {
                return Err(path.node().error("must not be empty"));
            }
            let equals = fields
                .take("equals")
                .ok_or_else(|| error(&child_path(node.path(), "equals"), "missing"))?;
            SuccessRule::JsonField {
                path: path_text.to_owned(),
                equals: equals.value.clone(),
            }
        }
        (None, Some(prefix)) => {
            // A number is refused: YAML would turn an unquoted 00 into 0.
            let text = prefix.node().string()?;
            if text.is_empty() {
                return Err(prefix.node().error("must not be empty"));
            }
            SuccessRule::BodyPrefix(text.to_owned())
        }
        (Some(_), Some(_)) => return Err(node.error(format!("{expected}, not both"))),
        (None, None) => return Err(node.error(expected)),
    };
    let keys: &[&str] = match rule {
        SuccessRule::JsonField { .. } => &["jsonPath", "equals"],
        SuccessRule::BodyPrefix(_) => &["bodyPrefix"],
    };
    fields.finish(keys)?;
    Ok(rule)
}
