//! Rendering an endpoint for one request: resolve every value first (reporting all
//! missing names at once), then fill each template, encoding each value for its
//! context. Values are inserted once and never rescanned.

use std::collections::{BTreeMap, BTreeSet};

use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue};

use super::encode::{self, JsonSlot};
use super::parse::{self, Segment};
use super::{Endpoint, RenderError, RenderedRequest, Template, Vars};

/// The variable holding the code.
pub(super) const CODE: &str = "code";

/// How a body's placeholders are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
    /// Raw insertion: plain text has no structure to protect.
    Text,
}

pub(super) fn render(endpoint: &Endpoint, vars: Vars<'_>) -> Result<RenderedRequest, RenderError> {
    let values = resolve(&endpoint.variables(), vars)?;

    let url = render_url(&endpoint.url, &values)?;
    let body = endpoint
        .body
        .as_ref()
        .map(|body| render_body(body, body_kind(endpoint), &values));
    let headers = endpoint
        .headers
        .iter()
        .map(|(name, value)| render_header(name, value, &values))
        .collect::<Result<_, _>>()?;

    Ok(RenderedRequest {
        method: endpoint.method.clone(),
        url,
        headers,
        body,
    })
}

/// The value of every name, or all the names lacking one.
fn resolve(
    names: &BTreeSet<String>,
    vars: Vars<'_>,
) -> Result<BTreeMap<String, String>, RenderError> {
    let mut values = BTreeMap::new();
    let mut missing = BTreeSet::new();
    for name in names {
        match value_of(name, vars) {
            Ok(value) => {
                values.insert(name.clone(), value);
            }
            Err(lacking) => {
                missing.insert(lacking.to_owned());
            }
        }
    }
    if missing.is_empty() {
        Ok(values)
    } else {
        Err(RenderError::Missing(missing.into_iter().collect()))
    }
}

/// One variable's value, or the name that lacks a value: a user value holding
/// `{{ code }}` when there is no code lacks `code`, as a literal placeholder must never
/// reach the provider.
fn value_of<'a>(name: &'a str, vars: Vars<'_>) -> Result<String, &'a str> {
    // `code` is always the code: a user value cannot stand in for it.
    if name == CODE {
        return vars.code.map(str::to_owned).ok_or(CODE);
    }
    let value = vars.user.get(name).ok_or(name)?;
    if !parse::holds_code_placeholder(value) {
        return Ok(value.to_owned());
    }
    vars.code
        .map(|code| parse::substitute_code(value, code))
        .ok_or(CODE)
}

/// A template with each placeholder replaced by `encode(index, value)`, `index`
/// counting placeholders from 0.
fn fill(
    template: &Template,
    values: &BTreeMap<String, String>,
    mut encode: impl FnMut(usize, &str) -> String,
) -> String {
    let mut out = String::with_capacity(template.source.len());
    let mut index = 0;
    for segment in &template.segments {
        match segment {
            Segment::Literal(text) => out.push_str(text),
            Segment::Var(name) => {
                // `resolve` gave every name a value before any filling.
                let value = values.get(name).map_or("", String::as_str);
                out.push_str(&encode(index, value));
                index += 1;
            }
        }
    }
    out
}

fn render_url(
    template: &Template,
    values: &BTreeMap<String, String>,
) -> Result<String, RenderError> {
    let rendered = fill(template, values, |_, value| encode::url_component(value));
    if encode::has_dot_segment(&rendered) {
        return Err(RenderError::InvalidUrl);
    }
    let url = url::Url::parse(&rendered).map_err(|_| RenderError::InvalidUrl)?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(RenderError::InvalidUrl);
    }
    Ok(url.into())
}

/// The body kind, from the endpoint's `content-type` template, else from the body's
/// first character.
fn body_kind(endpoint: &Endpoint) -> BodyKind {
    let content_type = endpoint
        .headers
        .iter()
        .find(|(name, _)| *name == CONTENT_TYPE)
        .map(|(_, value)| value.source().to_ascii_lowercase());
    match content_type {
        Some(kind) if kind.contains("json") => BodyKind::Json,
        Some(kind) if kind.contains("application/x-www-form-urlencoded") => BodyKind::Form,
        Some(_) => BodyKind::Text,
        None => {
            let body = endpoint.body.as_ref().map_or("", Template::source);
            if body.trim_start().starts_with(['{', '[']) {
                BodyKind::Json
            } else {
                BodyKind::Text
            }
        }
    }
}

fn render_body(template: &Template, kind: BodyKind, values: &BTreeMap<String, String>) -> String {
    match kind {
        BodyKind::Json => {
            let slots = encode::json_slots(&template.segments);
            fill(template, values, |index, value| match slots.get(index) {
                Some(JsonSlot::InString { after_backslash }) => {
                    // Completing the template's dangling `\` to `\\` keeps the value
                    // inside the string whatever its first character.
                    let prefix = if *after_backslash { "\\" } else { "" };
                    format!("{prefix}{}", encode::json_string_content(value))
                }
                Some(JsonSlot::Bare) | None => encode::json_string(value),
            })
        }
        BodyKind::Form => fill(template, values, |_, value| encode::form_value(value)),
        // Known limit: a plain-text body gets values as they are; its reader must not
        // give them structure.
        BodyKind::Text => fill(template, values, |_, value| value.to_owned()),
    }
}

fn render_header(
    name: &HeaderName,
    template: &Template,
    values: &BTreeMap<String, String>,
) -> Result<(HeaderName, HeaderValue), RenderError> {
    let invalid = || RenderError::InvalidHeader(name.as_str().to_owned());
    let rendered = fill(template, values, |_, value| value.to_owned());
    if !encode::is_printable_ascii(&rendered) {
        return Err(invalid());
    }
    let mut value = HeaderValue::from_str(&rendered).map_err(|_| invalid())?;
    // Header values may hold keys or user values: keep them out of any `Debug`.
    value.set_sensitive(true);
    Ok((name.clone(), value))
}
