//! Reading what a request carries: the username, the Authorization, the JSON body.
//!
//! Each reader refuses bad input with the documented error and never echoes a token
//! or a value back.

use base64::Engine as _;
use bytes::Bytes;
use http::{header, Request};

use crate::domain::Username;
use crate::error::ApiError;

/// The username taken from the route's path parameters by the caller (API Gateway
/// events carry them), inserted as a request extension; it wins over the path.
#[derive(Clone, Debug)]
pub struct PathUsername(pub String);

/// Where `suffixes` match the end of `segments`: the index of the suffix's start.
pub(super) fn match_suffix(segments: &[&str], suffixes: &[&[&str]]) -> Option<usize> {
    suffixes
        .iter()
        .find(|suffix| segments.ends_with(suffix))
        .map(|suffix| segments.len() - suffix.len())
}

/// The username: from the path parameters, else the path segment before the route
/// (`/{username}/mfa/verify`, any stage prefix before it), else the host's first
/// label (`alice.pryv.me/mfa/verify`), as Pryv does.
pub(super) fn username(
    request: &Request<Bytes>,
    suffixes: &[&[&str]],
) -> Result<Username, ApiError> {
    if let Some(PathUsername(name)) = request.extensions().get::<PathUsername>() {
        return Username::parse(name);
    }
    let segments: Vec<&str> = request
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(start) = match_suffix(&segments, suffixes) {
        if start > 0 {
            return Username::parse(segments[start - 1]);
        }
    }
    host_label(request)
        .map(Username::parse)
        .unwrap_or_else(|| Err(ApiError::structure("Missing username in the path.")))
}

/// The first label of a host name with at least three labels (`alice.pryv.me`).
fn host_label(request: &Request<Bytes>) -> Option<&str> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().host())?;
    let name = host.split(':').next()?;
    let labels: Vec<&str> = name.split('.').collect();
    let is_ip = labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()));
    (labels.len() >= 3 && !is_ip).then(|| labels[0])
}

/// The token a request carries: `Authorization` as a raw token, `Bearer <token>` or
/// Basic with the token as user name, else the `auth` query parameter.
pub(super) fn token(request: &Request<Bytes>) -> Result<String, ApiError> {
    let from_header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .and_then(token_from_authorization);
    let token = from_header.or_else(|| query_param(request, "auth"));
    token
        .filter(|t| is_plausible_token(t))
        .ok_or_else(|| ApiError::forbidden("Missing or invalid Authorization."))
}

/// The most characters a token may have; Pryv's and ours are well under 100.
const MAX_TOKEN_CHARS: usize = 512;

/// A token is printable ASCII without spaces, and not over-long: anything else could
/// not be sent on to the core as a header, and is refused here as forbidden.
fn is_plausible_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= MAX_TOKEN_CHARS
        && token.bytes().all(|b| b.is_ascii_graphic())
}

fn token_from_authorization(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let user = text.split(':').next().unwrap_or_default();
        return Some(user.to_owned());
    }
    Some(value.to_owned())
}

fn query_param(request: &Request<Bytes>, name: &str) -> Option<String> {
    let query = request.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The body as JSON; an empty body is `{}`, where the route takes no body.
pub(super) fn json_body(request: &Request<Bytes>) -> Result<serde_json::Value, ApiError> {
    let body = request.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_slice(body)
        .map_err(|_| ApiError::structure("The request body is not valid JSON."))
}

/// The body as a JSON object, for bodies passed on to the core as they are.
pub(super) fn json_object_body(request: &Request<Bytes>) -> Result<serde_json::Value, ApiError> {
    let body = serde_json::from_slice::<serde_json::Value>(request.body())
        .map_err(|_| ApiError::structure("The request body is not valid JSON."))?;
    if body.is_object() {
        Ok(body)
    } else {
        Err(ApiError::structure(
            "The request body must be a JSON object.",
        ))
    }
}

/// A required string field of a JSON body.
pub(super) fn string_field<'a>(
    body: &'a serde_json::Value,
    name: &str,
) -> Result<&'a str, ApiError> {
    match body.get(name) {
        None | Some(serde_json::Value::Null) => {
            Err(ApiError::structure(format!("Missing parameter '{name}'.")))
        }
        Some(value) => value
            .as_str()
            .ok_or_else(|| ApiError::format(format!("The parameter '{name}' must be a string."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, headers: &[(&str, &str)]) -> Request<Bytes> {
        let mut builder = Request::builder().method("POST").uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Bytes::new()).expect("valid request")
    }

    const VERIFY: &[&[&str]] = &[&["mfa", "verify"]];

    #[test]
    fn the_username_comes_from_the_path_a_stage_prefix_or_the_host() {
        let cases = [
            ("/alice/mfa/verify", vec![], "alice"),
            ("/prod/alice/mfa/verify", vec![], "alice"),
            ("/mfa/verify", vec![("host", "alice1.pryv.me")], "alice1"),
            ("https://bobby.pryv.me/mfa/verify", vec![], "bobby"),
        ];
        for (uri, headers, expected) in cases {
            let name = username(&request(uri, &headers), VERIFY).expect(uri);
            assert_eq!(name.as_str(), expected, "{uri}");
        }
    }

    #[test]
    fn a_missing_username_is_a_structure_error() {
        let error = username(
            &request("/mfa/verify", &[("host", "localhost:7000")]),
            VERIFY,
        )
        .unwrap_err();

        assert_eq!(error.id(), Some("invalid-request-structure"));
    }

    #[test]
    fn tokens_are_read_in_every_accepted_form() {
        let basic = base64::engine::general_purpose::STANDARD.encode("tok-1:");
        let cases = [
            request("/a", &[("authorization", "tok-1")]),
            request("/a", &[("authorization", "Bearer tok-1")]),
            request("/a", &[("authorization", &format!("Basic {basic}"))]),
            request("/a?auth=tok-1", &[]),
        ];
        for case in cases {
            assert_eq!(token(&case).expect("token"), "tok-1");
        }
        assert_eq!(
            token(&request("/a", &[])).unwrap_err().id(),
            Some("forbidden")
        );
    }

    #[test]
    fn tokens_with_control_characters_or_over_long_are_forbidden() {
        let long = format!("/a?auth={}", "t".repeat(600));
        for uri in [
            "/a?auth=%0d%0a",
            "/a?auth=tok%00en",
            "/a?auth=to%20ken",
            long.as_str(),
        ] {
            let error = token(&request(uri, &[])).unwrap_err();
            assert_eq!(error.id(), Some("forbidden"), "{uri}");
        }
    }
}
