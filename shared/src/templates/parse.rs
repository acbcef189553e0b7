//! Placeholder syntax: `{{ name }}`, spaces optional, names of `A-Z a-z 0-9 _ . -`.
//!
//! Operator templates are parsed strictly (a malformed placeholder stops start-up);
//! user values are only searched, leniently, for `{{ code }}`.

use super::TemplateError;

/// A piece of a parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Segment {
    /// Text kept as the operator wrote it.
    Literal(String),
    /// A placeholder, by variable name.
    Var(String),
}

const OPEN: &str = "{{";
const CLOSE: &str = "}}";

/// Splits a template into literals and placeholders.
pub(super) fn segments(source: &str) -> Result<Vec<Segment>, TemplateError> {
    let mut segments = Vec::new();
    let mut rest = source;
    let mut offset = 0;
    while let Some(start) = rest.find(OPEN) {
        if start > 0 {
            segments.push(Segment::Literal(rest[..start].to_owned()));
        }
        let position = offset + start;
        let inner = &rest[start + OPEN.len()..];
        let end = inner.find(CLOSE).ok_or_else(|| {
            TemplateError(format!(
                "unclosed '{{{{' at byte {position}: expected '}}}}'"
            ))
        })?;
        let name = inner[..end].trim();
        check_name(name, position)?;
        segments.push(Segment::Var(name.to_owned()));
        let consumed = start + OPEN.len() + end + CLOSE.len();
        offset += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Literal(rest.to_owned()));
    }
    Ok(segments)
}

/// Whether `name` is a valid variable name. The message does not quote the name: a
/// broken header template could put part of a key there.
fn check_name(name: &str, position: usize) -> Result<(), TemplateError> {
    if name.is_empty() {
        return Err(TemplateError(format!(
            "empty placeholder at byte {position}: expected a name inside '{{{{ }}}}'"
        )));
    }
    if !name.bytes().all(is_name_byte) {
        return Err(TemplateError(format!(
            "invalid placeholder name at byte {position}: a name is made of \
             A-Z, a-z, 0-9, '_', '.' and '-'"
        )));
    }
    Ok(())
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-')
}

/// Replaces each `{{ code }}` (any spacing) in a user value by `code`. Anything else,
/// `{{ other }}` included, stays as it is: a user value is data, not a template.
pub(super) fn substitute_code(value: &str, code: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some((start, end)) = find_code_placeholder(rest) {
        out.push_str(&rest[..start]);
        out.push_str(code);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Whether a user value holds `{{ code }}` (any spacing).
pub(super) fn holds_code_placeholder(value: &str) -> bool {
    find_code_placeholder(value).is_some()
}

/// The byte range of the first `{{ code }}` in `text`. Each `{{` is tried in turn, so
/// `{{{{code}}` finds the placeholder after the two extra braces.
fn find_code_placeholder(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(found) = text[from..].find(OPEN) {
        let start = from + found;
        let inner_start = start + OPEN.len();
        let close = text[inner_start..].find(CLOSE)?;
        if text[inner_start..inner_start + close].trim() == super::render::CODE {
            return Some((start, inner_start + close + CLOSE.len()));
        }
        // `{` is one byte: the next candidate starts one byte further.
        from = start + 1;
    }
    None
}
