//! The encoders of each context. Each one turns any value into text that cannot leave
//! the place its placeholder holds: a URL component, a JSON string, a form value or a
//! header value.

use std::fmt::Write as _;

use super::parse::Segment;

/// Percent-encodes a value for any URL component.
///
/// Unreserved characters (`A-Z a-z 0-9 - . _ ~`) and well-formed `%XX` escapes are kept;
/// every other byte, `%` included when no two hex digits follow, becomes `%XX`. So a
/// value cannot add a `/`, `?`, `&`, `=`, `#` or `+`, and a value the user encoded
/// already (smsmode's message) reaches the provider as written.
///
/// A placeholder the operator puts in the host lets the user choose the host within
/// the characters kept here: that is the operator's choice, not something a value can
/// take where the template did not give it.
///
/// Known limit: by design a `%XX` in a user value is kept, so `%26` reaches the
/// provider as `%26` and decodes there to `&` inside the same parameter: it cannot
/// split the parameter, but the decoded value differs from the raw one.
pub(super) fn url_component(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else if byte == b'%' && is_escape(&bytes[index + 1..]) {
            out.push_str(&value[index..index + 3]);
            index += 3;
            continue;
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
        index += 1;
    }
    out
}

/// Whether `rest` starts with two hex digits.
fn is_escape(rest: &[u8]) -> bool {
    rest.len() >= 2 && rest[0].is_ascii_hexdigit() && rest[1].is_ascii_hexdigit()
}

/// Whether a rendered URL has a `.` or `..` path segment (written plainly or with
/// `%2e`), which a URL parser would resolve and so move the request to another path.
/// Values keep `.` as unreserved, so this is checked on the result.
pub(super) fn has_dot_segment(url: &str) -> bool {
    let after_scheme = url.find("://").map_or(url, |at| &url[at + 3..]);
    let path_and_more = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
    let path = path_and_more.split(['?', '#']).next().unwrap_or_default();
    path.split('/').any(|segment| {
        let dots = segment.to_ascii_lowercase().replace("%2e", ".");
        dots == "." || dots == ".."
    })
}

/// A value as the content of a JSON string, without the quotes.
pub(super) fn json_string_content(value: &str) -> String {
    let quoted = json_string(value);
    quoted[1..quoted.len() - 1].to_owned()
}

/// A value as a complete JSON string, quotes included.
pub(super) fn json_string(value: &str) -> String {
    // Serialising a `str` cannot fail; the fallback keeps the shape if it ever did.
    serde_json::to_string(value).unwrap_or_else(|_| String::from("\"\""))
}

/// A value form-urlencoded (`application/x-www-form-urlencoded`; space as `+`).
pub(super) fn form_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Whether a header value holds printable ASCII only (0x20 to 0x7E): no CR, LF, TAB,
/// other control or non-ASCII byte.
pub(super) fn is_printable_ascii(value: &str) -> bool {
    value.bytes().all(|byte| (0x20..=0x7e).contains(&byte))
}

/// Where a placeholder of a JSON body template lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum JsonSlot {
    /// Inside a string literal. `after_backslash`: the literal before it ends with an
    /// unfinished escape (`"\{{ x }}"`).
    InString { after_backslash: bool },
    /// Outside any string: the value is inserted as a whole JSON string.
    Bare,
}

/// The slot of each placeholder of a JSON template, in order, found by following
/// string literals (`"` and backslash escapes) through the literal segments.
pub(super) fn json_slots(segments: &[Segment]) -> Vec<JsonSlot> {
    let mut slots = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for segment in segments {
        match segment {
            Segment::Literal(text) => {
                for byte in text.bytes() {
                    if !in_string {
                        in_string = byte == b'"';
                    } else if escaped {
                        escaped = false;
                    } else if byte == b'\\' {
                        escaped = true;
                    } else if byte == b'"' {
                        in_string = false;
                    }
                }
            }
            Segment::Var(_) if in_string => {
                slots.push(JsonSlot::InString {
                    after_backslash: escaped,
                });
                // The renderer completes a pending escape, and the value never ends
                // with a lone backslash: the string goes on after it.
                escaped = false;
            }
            Segment::Var(_) => slots.push(JsonSlot::Bare),
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_components_keep_unreserved_and_existing_escapes() {
        let cases = [
            ("plain", "abc-XYZ_0.9~", "abc-XYZ_0.9~"),
            ("existing escapes", "a%20b%3a", "a%20b%3a"),
            ("lone percent", "100%", "100%25"),
            ("percent and one hex", "%4", "%254"),
            ("percent and non-hex", "%zz", "%25zz"),
            ("delimiters", "&=#/?+ ", "%26%3D%23%2F%3F%2B%20"),
            ("non-ASCII", "é", "%C3%A9"),
            ("braces", "{{ x }}", "%7B%7B%20x%20%7D%7D"),
            ("CR LF", "\r\n", "%0D%0A"),
        ];
        for (description, value, expected) in cases {
            assert_eq!(url_component(value), expected, "{description}");
        }
    }

    #[test]
    fn dot_segments_are_found_in_the_path_only() {
        assert!(has_dot_segment("https://h.example/a/../b"));
        assert!(has_dot_segment("https://h.example/a/%2E%2e/b"));
        assert!(has_dot_segment("https://h.example/a/.?x=1"));
        assert!(!has_dot_segment("https://h.example/a/..b/c"));
        assert!(!has_dot_segment("https://h.example/a?x=..&y=."));
        assert!(!has_dot_segment("https://h.example/a#/../"));
        assert!(!has_dot_segment("https://h.example"));
    }

    #[test]
    fn json_slots_follow_string_literals_and_escapes() {
        let segments = super::super::parse::segments(
            r#"{"a":"{{ x }}","b\"{{ y }}":{{ z }},"c":"\\","d":"\{{ w }}"}"#,
        )
        .unwrap();

        assert_eq!(
            json_slots(&segments),
            vec![
                JsonSlot::InString {
                    after_backslash: false
                },
                JsonSlot::InString {
                    after_backslash: false
                },
                JsonSlot::Bare,
                JsonSlot::InString {
                    after_backslash: true
                },
            ]
        );
    }

    #[test]
    fn header_values_must_be_printable_ascii() {
        assert!(is_printable_ascii("Bearer: abc ~!"));
        for bad in ["a\rb", "a\nb", "a\tb", "a\u{7f}", "é", "\0"] {
            assert!(!is_printable_ascii(bad), "{bad:?}");
        }
    }
}
