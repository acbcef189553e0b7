//! Operator HTTP request templates: parse, list variables, render by context.
//!
//! A template is parsed once, at start-up, into literal text and `{{ name }}`
//! placeholders. Rendering never changes it: each request gets its own output, in which
//! every value is inserted once, encoded for where it lands (URL, JSON string, form,
//! header), and never rescanned, so that no user value can change a request's shape.
//! This module owns no I/O and logs nothing: values here are personal data.
//!
//! - [`parse`]: placeholder syntax.
//! - [`encode`]: the encoders of each context.
//! - [`render`]: turning an [`Endpoint`] and [`Vars`] into a [`RenderedRequest`].
//! - [`success`]: the rules judging a provider's answer.

mod encode;
mod parse;
mod render;
mod success;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;

use http::{HeaderName, HeaderValue, Method};

use crate::domain::UserData;
use parse::Segment;

pub use success::SuccessRule;

/// A template string with `{{ name }}` / `{{name}}` placeholders.
///
/// Names are made of `A-Z a-z 0-9 _ . -`; spaces inside the braces are ignored.
/// Its `Debug` lists the variables only: a template may hold an API key.
#[derive(Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    segments: Vec<Segment>,
}

/// A template could not be parsed (an unclosed `{{`, an empty or invalid name).
///
/// The message gives the byte position, never the template text: a header template
/// may hold an API key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

impl Template {
    /// Parses a template string.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        Ok(Self {
            source: source.to_owned(),
            segments: parse::segments(source)?,
        })
    }

    /// The names of the variables the template uses.
    pub fn variables(&self) -> BTreeSet<String> {
        self.segments
            .iter()
            .filter_map(|segment| match segment {
                Segment::Var(name) => Some(name.clone()),
                Segment::Literal(_) => None,
            })
            .collect()
    }

    /// The template as the operator wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("variables", &self.variables())
            .finish_non_exhaustive()
    }
}

/// One endpoint of the communication service: how to build one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL, query included.
    pub url: Template,
    /// `GET` or `POST`.
    pub method: Method,
    /// The body, if any.
    pub body: Option<Template>,
    /// The headers; names are fixed, values are templates.
    pub headers: Vec<(HeaderName, Template)>,
    /// The rule that decides success beyond the status, if any.
    pub success: Option<SuccessRule>,
}

/// The values a rendering may use: the user's MFA data and the code, if any.
#[derive(Clone, Copy)]
pub struct Vars<'a> {
    /// The user's MFA data.
    pub user: &'a UserData,
    /// The code, substituted for `{{ code }}` in templates and in user values.
    pub code: Option<&'a str>,
}

/// A request ready to send. Its `Debug` shows no value: it holds personal data.
pub struct RenderedRequest {
    /// The method.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// The headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body, if any.
    pub body: Option<String>,
}

impl fmt::Debug for RenderedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderedRequest")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// Why a template could not be rendered. No variant carries a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// Variables with no value, sorted.
    #[error("missing values for: {}", .0.join(", "))]
    Missing(Vec<String>),
    /// A header value would hold a character other than printable ASCII.
    #[error("the value of header '{0}' would hold a control or non-ASCII character")]
    InvalidHeader(String),
    /// The rendered URL is not a valid absolute URL.
    #[error("the rendered URL is invalid")]
    InvalidUrl,
}

impl Endpoint {
    /// The variables this endpoint uses, in URL, body and headers.
    pub fn variables(&self) -> BTreeSet<String> {
        self.templates()
            .flat_map(|template| template.variables())
            .collect()
    }

    /// Whether a request rendered for this user would carry the code: the endpoint
    /// uses `{{ code }}`, or one of the user values it uses holds `{{ code }}`.
    ///
    /// Single mode refuses, at activation, a send that would not carry the code.
    pub fn carries_code(&self, user: &UserData) -> bool {
        self.variables().iter().any(|name| {
            name == render::CODE || user.get(name).is_some_and(parse::holds_code_placeholder)
        })
    }

    /// Renders the request for these values, each encoded for its context.
    pub fn render(&self, vars: Vars<'_>) -> Result<RenderedRequest, RenderError> {
        render::render(self, vars)
    }

    /// The URL, body and header templates.
    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.url)
            .chain(self.body.iter())
            .chain(self.headers.iter().map(|(_, template)| template))
    }
}
