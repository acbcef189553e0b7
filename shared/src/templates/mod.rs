//! Operator HTTP request templates: parse, list variables, render by context.
//!
//! STUB: the API below is fixed; the bodies are written in their own change.

use std::collections::BTreeSet;
use std::fmt;

use http::{HeaderName, HeaderValue, Method};

use crate::domain::UserData;

/// A template string with `{{ name }}` / `{{name}}` placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: String,
}

/// A template could not be parsed (an unclosed `{{`, an empty or invalid name).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

impl Template {
    /// Parses a template string.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        Ok(Self {
            source: source.to_owned(),
        })
    }

    /// The names of the variables the template uses.
    pub fn variables(&self) -> BTreeSet<String> {
        BTreeSet::new()
    }

    /// The template as the operator wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// How a provider's answer is judged a success, beyond its 2xx status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuccessRule {
    /// A JSON field (dotted path) equal to a value.
    JsonField {
        /// Dotted path to the field, e.g. `status` or `result.state`.
        path: String,
        /// The value it must equal.
        equals: serde_json::Value,
    },
    /// The body starts with this text.
    BodyPrefix(String),
}

impl SuccessRule {
    /// Whether a 2xx answer's body passes the rule.
    pub fn accepts(&self, body: &[u8]) -> bool {
        let _ = body;
        false
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

/// Why a template could not be rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// Variables with no value.
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
        BTreeSet::new()
    }

    /// Renders the request for these values.
    pub fn render(&self, vars: Vars<'_>) -> Result<RenderedRequest, RenderError> {
        let _ = vars;
        Err(RenderError::InvalidUrl)
    }
}
