//! Rendering as an operator and a provider see it: the documented examples, the
//! refusals, and properties over arbitrary user values.

use std::collections::BTreeSet;

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderName, Method};
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::domain::UserData;

fn template(source: &str) -> Template {
    Template::parse(source).expect("valid template")
}

fn endpoint(
    url: &str,
    method: Method,
    body: Option<&str>,
    headers: &[(HeaderName, &str)],
) -> Endpoint {
    Endpoint {
        url: template(url),
        method,
        body: body.map(template),
        headers: headers
            .iter()
            .map(|(name, value)| (name.clone(), template(value)))
            .collect(),
        success: None,
    }
}

fn smsapi(url: &str, body: &str) -> Endpoint {
    endpoint(
        url,
        Method::POST,
        Some(body),
        &[
            (AUTHORIZATION, "Bearer: your-api-key"),
            (CONTENT_TYPE, "application/json"),
        ],
    )
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|name| name.to_string()).collect()
}

#[test]
fn placeholders_parse_with_or_without_spaces() {
    let parsed = template("a{{name}}b{{ other.name }}c{{   x-1_y\t}}{{name}}");

    assert_eq!(parsed.variables(), names(&["name", "other.name", "x-1_y"]));
    assert_eq!(
        parsed.source(),
        "a{{name}}b{{ other.name }}c{{   x-1_y\t}}{{name}}"
    );
    assert!(template("no placeholder } { }}").variables().is_empty());
}

#[test]
fn malformed_placeholders_are_refused_without_quoting_the_template() {
    let cases = [
        ("unclosed", "Bearer {{ secret-key", "unclosed"),
        ("empty", "a {{ }} b", "empty"),
        (
            "invalid name",
            "a {{ secret key }} b",
            "invalid placeholder name",
        ),
        ("nested", "{{ a {{ b }}", "invalid placeholder name"),
        ("triple braces", "{{{ a }}}", "invalid placeholder name"),
    ];
    for (description, source, expected) in cases {
        let error = Template::parse(source).unwrap_err();

        assert!(error.0.contains(expected), "{description}: {error}");
        assert!(!error.0.contains("secret"), "{description}: {error}");
    }
}

#[test]
fn smsmode_single_send_carries_the_users_encoded_message_and_the_code() {
    let single = endpoint(
        "https://api.smsmode.com/http/1.6/sendSMS.do?accessToken=your-api-key&message={{ message }}&emetteur=Pryv%20Lab&numero={{ number }}",
        Method::GET,
        None,
        &[],
    );
    let user = UserData::from_pairs([
        ("number", "41791231212"),
        (
            "message",
            "Your%20Pryv%20Lab%20MFA%20code%20is%3A%20{{ code }}",
        ),
    ]);

    let request = single
        .render(Vars {
            user: &user,
            code: Some("123456"),
        })
        .unwrap();

    assert_eq!(request.method, Method::GET);
    assert_eq!(
        request.url,
        "https://api.smsmode.com/http/1.6/sendSMS.do?accessToken=your-api-key\
         &message=Your%20Pryv%20Lab%20MFA%20code%20is%3A%20123456\
         &emetteur=Pryv%20Lab&numero=41791231212"
    );
    assert!(request.body.is_none());
    assert!(single.carries_code(&user));
}

#[test]
fn smsapi_challenge_and_verify_bodies_are_exact() {
    let challenge = smsapi(
        "https://api.smsapi.com/mfa/codes",
        r#"{"phone_number":"{{ number }}"}"#,
    );
    let verify = smsapi(
        "https://api.smsapi.com/mfa/codes/verifications",
        r#"{"phone_number":"{{ number }}","code":"{{ code }}"}"#,
    );
    let user = UserData::from_pairs([("number", "41791231212")]);

    let sent = challenge
        .render(Vars {
            user: &user,
            code: None,
        })
        .unwrap();
    let checked = verify
        .render(Vars {
            user: &user,
            code: Some("12345"),
        })
        .unwrap();

    assert_eq!(sent.url, "https://api.smsapi.com/mfa/codes");
    assert_eq!(
        sent.body.as_deref(),
        Some(r#"{"phone_number":"41791231212"}"#)
    );
    assert_eq!(
        checked.body.as_deref(),
        Some(r#"{"phone_number":"41791231212","code":"12345"}"#)
    );
    assert_eq!(checked.method, Method::POST);
    assert_eq!(checked.headers.len(), 2);
    assert_eq!(checked.headers[0].0, AUTHORIZATION);
    assert_eq!(checked.headers[0].1, "Bearer: your-api-key");
    assert_eq!(checked.headers[1].1, "application/json");
    assert!(!format!("{checked:?}").contains("41791231212"));
    assert!(!format!("{:?}", checked.headers).contains("your-api-key"));
}

#[test]
fn every_missing_variable_is_listed_sorted() {
    let send = endpoint(
        "https://sms.example.com/{{ zone }}?to={{ number }}",
        Method::POST,
        Some(r#"{"text":"{{ message }}","code":"{{ code }}"}"#),
        &[(HeaderName::from_static("x-lang"), "{{ lang }}")],
    );
    let user = UserData::from_pairs([("number", "41791231212")]);

    let error = send
        .render(Vars {
            user: &user,
            code: None,
        })
        .unwrap_err();

    assert_eq!(
        error,
        RenderError::Missing(vec![
            "code".into(),
            "lang".into(),
            "message".into(),
            "zone".into()
        ])
    );
    assert_eq!(
        error.to_string(),
        "missing values for: code, lang, message, zone"
    );
}

#[test]
fn a_user_value_needing_the_code_is_missing_the_code_when_there_is_none() {
    let send = endpoint(
        "https://sms.example.com/send?text={{ message }}",
        Method::GET,
        None,
        &[],
    );
    let user = UserData::from_pairs([("message", "Code: {{code}}")]);

    let error = send
        .render(Vars {
            user: &user,
            code: None,
        })
        .unwrap_err();

    assert_eq!(error, RenderError::Missing(vec!["code".into()]));
}

#[test]
fn the_code_variable_is_never_taken_from_user_data() {
    let send = endpoint(
        "https://sms.example.com/send?c={{ code }}",
        Method::GET,
        None,
        &[],
    );
    let user = UserData::from_pairs([("code", "000000")]);

    let without = send.render(Vars {
        user: &user,
        code: None,
    });
    let with = send
        .render(Vars {
            user: &user,
            code: Some("424242"),
        })
        .unwrap();

    assert_eq!(
        without.unwrap_err(),
        RenderError::Missing(vec!["code".into()])
    );
    assert_eq!(with.url, "https://sms.example.com/send?c=424242");
}

#[test]
fn header_values_with_control_or_non_ascii_characters_are_refused() {
    let send = endpoint(
        "https://sms.example.com/send",
        Method::POST,
        None,
        &[(HeaderName::from_static("x-user"), "user {{ name }}")],
    );
    for value in [
        "evil\r\nX-Injected: 1",
        "tab\there",
        "nul\0",
        "café",
        "del\u{7f}",
    ] {
        let user = UserData::from_pairs([("name", value)]);

        let error = send
            .render(Vars {
                user: &user,
                code: None,
            })
            .unwrap_err();

        assert_eq!(
            error,
            RenderError::InvalidHeader("x-user".into()),
            "{value:?}"
        );
        assert!(!error.to_string().contains(value));
    }
    let user = UserData::from_pairs([("name", "alice {{ x }} ~!")]);
    let fine = send
        .render(Vars {
            user: &user,
            code: None,
        })
        .unwrap();
    assert_eq!(fine.headers[0].1, "user alice {{ x }} ~!");
}

#[test]
fn user_values_are_inserted_once_and_never_rescanned() {
    let send = endpoint(
        "https://sms.example.com/send?to={{ number }}&text={{ message }}",
        Method::POST,
        Some(r#"{"to":"{{ number }}","text":"{{ message }}"}"#),
        &[],
    );
    let user = UserData::from_pairs([
        ("number", "{{ message }}"),
        ("message", "{{ number }} and {{ code }}"),
    ]);

    let request = send
        .render(Vars {
            user: &user,
            code: Some("999"),
        })
        .unwrap();

    let body: serde_json::Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"to": "{{ message }}", "text": "{{ number }} and 999"})
    );
    let url = url::Url::parse(&request.url).unwrap();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        query,
        vec![
            ("to".into(), "{{ message }}".into()),
            ("text".into(), "{{ number }} and 999".into())
        ]
    );
}

#[test]
fn rendering_leaves_the_templates_unchanged() {
    let send = endpoint(
        "https://sms.example.com/send?to={{ number }}",
        Method::POST,
        Some(r#"{"text":"{{ message }}"}"#),
        &[],
    );
    let before = send.clone();
    let first = UserData::from_pairs([("number", "1"), ("message", "a {{ code }}")]);
    let second = UserData::from_pairs([("number", "2"), ("message", "b {{ code }}")]);

    let one = send
        .render(Vars {
            user: &first,
            code: Some("111"),
        })
        .unwrap();
    let two = send
        .render(Vars {
            user: &second,
            code: Some("222"),
        })
        .unwrap();

    assert_eq!(send, before);
    assert_eq!(one.body.as_deref(), Some(r#"{"text":"a 111"}"#));
    assert_eq!(two.body.as_deref(), Some(r#"{"text":"b 222"}"#));
    assert_eq!(two.url, "https://sms.example.com/send?to=2");
}

#[test]
fn json_placeholders_outside_strings_become_whole_strings() {
    let send = endpoint(
        "https://sms.example.com/send",
        Method::POST,
        Some(r#"{"to": {{ number }}, "list": [{{number}}], "esc": "a\{{ number }}"}"#),
        &[],
    );
    let user = UserData::from_pairs([("number", r#"1", "admin": true, "x": "\"#)]);

    let request = send
        .render(Vars {
            user: &user,
            code: None,
        })
        .unwrap();

    let body: serde_json::Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
    let value = r#"1", "admin": true, "x": "\"#;
    assert_eq!(
        body,
        json!({"to": value, "list": [value], "esc": format!("a\\{value}")})
    );
}

#[test]
fn the_body_kind_follows_the_content_type() {
    let user = UserData::from_pairs([("text", r#"a "b" & c=d"#)]);
    let vars = Vars {
        user: &user,
        code: None,
    };
    let render = |body: &str, headers: &[(HeaderName, &str)]| {
        endpoint(
            "https://sms.example.com/send",
            Method::POST,
            Some(body),
            headers,
        )
        .render(vars)
        .unwrap()
        .body
        .unwrap()
    };
    let cases = [
        (
            "json content type",
            render(
                r#"{"t":"{{ text }}"}"#,
                &[(CONTENT_TYPE, "Application/JSON; charset=utf-8")],
            ),
            r#"{"t":"a \"b\" & c=d"}"#,
        ),
        (
            "vendor json content type",
            render(
                r#"{"t":"{{ text }}"}"#,
                &[(CONTENT_TYPE, "application/vnd.api+json")],
            ),
            r#"{"t":"a \"b\" & c=d"}"#,
        ),
        (
            "form content type",
            render(
                "t={{ text }}&x=1",
                &[(CONTENT_TYPE, "application/x-www-form-urlencoded")],
            ),
            "t=a+%22b%22+%26+c%3Dd&x=1",
        ),
        (
            "no content type, JSON-looking body",
            render(r#"  [{"t":"{{ text }}"}]"#, &[]),
            r#"  [{"t":"a \"b\" & c=d"}]"#,
        ),
        (
            "plain text content type",
            render(r#"{"t":"{{ text }}"}"#, &[(CONTENT_TYPE, "text/plain")]),
            r#"{"t":"a "b" & c=d"}"#,
        ),
        (
            "no content type, text body",
            render("Text: {{ text }}", &[]),
            r#"Text: a "b" & c=d"#,
        ),
    ];
    for (description, rendered, expected) in cases {
        assert_eq!(rendered, expected, "{description}");
    }
}

#[test]
fn rendered_urls_must_stay_absolute_http_urls_on_their_path() {
    let user = UserData::from_pairs([("p", ".."), ("host", "evil.example/x"), ("s", "a")]);
    let vars = Vars {
        user: &user,
        code: None,
    };
    let render = |url: &str| endpoint(url, Method::GET, None, &[]).render(vars);
    let cases = [
        (
            "dot-dot value as a path segment",
            "https://sms.example.com/a/{{ p }}/send",
        ),
        ("relative URL", "/send?to={{ s }}"),
        ("other scheme", "ftp://sms.example.com/{{ s }}"),
        ("no host", "http://?to={{ s }}"),
    ];
    for (description, url) in cases {
        assert_eq!(
            render(url).err(),
            Some(RenderError::InvalidUrl),
            "{description}"
        );
    }
    let kept = render("https://sms.example.com/a/{{ p }}x/{{ host }}").unwrap();
    assert_eq!(kept.url, "https://sms.example.com/a/..x/evil.example%2Fx");
}

#[test]
fn endpoint_variables_cover_url_body_and_headers() {
    let send = endpoint(
        "https://sms.example.com/{{ a }}",
        Method::POST,
        Some("{{ b }} {{ code }}"),
        &[(HeaderName::from_static("x-c"), "{{ c }}{{ a }}")],
    );
    let quiet = endpoint("https://sms.example.com/{{ a }}", Method::GET, None, &[]);
    let with_code = UserData::from_pairs([("a", "x {{code}}")]);
    let without = UserData::from_pairs([("a", "x")]);

    assert_eq!(send.variables(), names(&["a", "b", "c", "code"]));
    assert!(send.carries_code(&without));
    assert!(quiet.carries_code(&with_code));
    assert!(!quiet.carries_code(&without));
}

#[test]
fn success_rules_fail_closed() {
    let approved = SuccessRule::JsonField {
        path: "status".into(),
        equals: json!("approved"),
    };
    let nested = SuccessRule::JsonField {
        path: "result.items.1.state".into(),
        equals: json!(true),
    };
    let zero = SuccessRule::BodyPrefix("0".into());
    let cases: [(&str, &SuccessRule, &[u8], bool); 12] = [
        (
            "twilio approved",
            &approved,
            br#"{"status":"approved"}"#,
            true,
        ),
        (
            "twilio pending",
            &approved,
            br#"{"status":"pending"}"#,
            false,
        ),
        ("field absent", &approved, br#"{"state":"approved"}"#, false),
        ("not JSON", &approved, b"approved", false),
        ("empty body", &approved, b"", false),
        ("number, not string", &approved, br#"{"status":1}"#, false),
        (
            "nested path",
            &nested,
            br#"{"result":{"items":[{},{"state":true}]}}"#,
            true,
        ),
        (
            "nested path, other value",
            &nested,
            br#"{"result":{"items":[{},{"state":"true"}]}}"#,
            false,
        ),
        ("smsmode success", &zero, b"0 | 12345", true),
        ("smsmode error", &zero, b"32 | error", false),
        ("smsmode empty", &zero, b"", false),
        (
            "empty prefix",
            &SuccessRule::BodyPrefix(String::new()),
            b"anything",
            false,
        ),
    ];
    for (description, rule, body, expected) in cases {
        assert_eq!(rule.accepts(body), expected, "{description}");
    }
}

/// User values mixing what could break a request: quotes, URL and form delimiters,
/// `%` with and without hex digits, braces and placeholders, CR/LF, backslashes,
/// non-ASCII, and any other character except `{` and `}` (which come only from the
/// pieces, so that the `{{ code }}` forms below are the only ones generated).
fn user_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("&".to_string()),
        Just("=".to_string()),
        Just("#".to_string()),
        Just("?".to_string()),
        Just("/".to_string()),
        Just("+".to_string()),
        Just(" ".to_string()),
        Just("%".to_string()),
        Just("%4".to_string()),
        Just("%41".to_string()),
        Just("%zz".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("{{".to_string()),
        Just("}}".to_string()),
        Just("{{ other }}".to_string()),
        Just("{{ code }}".to_string()),
        Just("{{code}}".to_string()),
        Just("\r\n".to_string()),
        Just("\\".to_string()),
        Just("\\u0000".to_string()),
        Just("é€😀".to_string()),
        any::<char>()
            .prop_filter("braces come from pieces", |c| !matches!(c, '{' | '}'))
            .prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

const CODE_VALUE: &str = "123456";

/// The value a provider should see: the user's value with the code substituted.
fn with_code(value: &str) -> String {
    value
        .replace("{{ code }}", CODE_VALUE)
        .replace("{{code}}", CODE_VALUE)
}

/// Whether a value holds a `%XX` escape, kept as is in URLs by design.
fn has_percent_escape(value: &str) -> bool {
    value
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

fn render_for(
    send: &Endpoint,
    number: &str,
    message: &str,
) -> Result<RenderedRequest, RenderError> {
    let user = UserData::from_pairs([("number", number), ("message", message)]);
    send.render(Vars {
        user: &user,
        code: Some(CODE_VALUE),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn json_bodies_keep_their_keys_and_values(number in user_value(), message in user_value()) {
        let send = endpoint(
            "https://sms.example.com/send",
            Method::POST,
            Some(r#"{"to":"{{ number }}","text":{{ message }},"note":"{{code}} for \"{{ number }}\""}"#),
            &[(CONTENT_TYPE, "application/json")],
        );

        let request = render_for(&send, &number, &message).unwrap();

        let body: serde_json::Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
        let object = body.as_object().unwrap();
        prop_assert_eq!(object.keys().collect::<Vec<_>>(), vec!["note", "text", "to"]);
        let number = with_code(&number);
        prop_assert_eq!(&object["to"], &json!(number));
        prop_assert_eq!(&object["text"], &json!(with_code(&message)));
        prop_assert_eq!(&object["note"], &json!(format!("{CODE_VALUE} for \"{number}\"")));
    }

    /// Values holding a `%XX` escape keep it (the smsmode case), so only the others
    /// are checked to decode back to the raw value; every value keeps the shape.
    #[test]
    fn urls_keep_their_path_and_query_keys(number in user_value(), message in user_value()) {
        let send = endpoint(
            "https://sms.example.com/send?to={{ number }}&text={{ message }}",
            Method::GET,
            None,
            &[],
        );

        let request = render_for(&send, &number, &message).unwrap();

        let url = url::Url::parse(&request.url).unwrap();
        prop_assert_eq!(url.host_str(), Some("sms.example.com"));
        prop_assert_eq!(url.path(), "/send");
        prop_assert_eq!(url.fragment(), None);
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        prop_assert_eq!(
            query.iter().map(|(key, _)| key.as_str()).collect::<Vec<_>>(),
            vec!["to", "text"]
        );
        let number = with_code(&number);
        if !has_percent_escape(&number) {
            prop_assert_eq!(&query[0].1, &number);
        }
        let message = with_code(&message);
        if !has_percent_escape(&message) {
            prop_assert_eq!(&query[1].1, &message);
        }
    }

    #[test]
    fn form_bodies_decode_back_to_the_values(number in user_value(), message in user_value()) {
        let send = endpoint(
            "https://sms.example.com/send",
            Method::POST,
            Some("to={{ number }}&text={{ message }}"),
            &[(CONTENT_TYPE, "application/x-www-form-urlencoded")],
        );

        let request = render_for(&send, &number, &message).unwrap();

        let body = request.body.unwrap();
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        prop_assert_eq!(
            pairs,
            vec![("to".to_string(), with_code(&number)), ("text".to_string(), with_code(&message))]
        );
    }

    #[test]
    fn header_values_never_hold_a_control_character(number in user_value(), message in user_value()) {
        let send = endpoint(
            "https://sms.example.com/send",
            Method::POST,
            None,
            &[(HeaderName::from_static("x-to"), "tel:{{ number }}")],
        );

        let rendered = render_for(&send, &number, &message);

        let number = with_code(&number);
        let printable = number.bytes().all(|b| (0x20..=0x7e).contains(&b));
        match rendered {
            Ok(request) => {
                prop_assert!(printable);
                let value = request.headers[0].1.as_bytes();
                prop_assert!(value.iter().all(|b| (0x20..=0x7e).contains(b)));
                let expected = format!("tel:{number}");
                prop_assert_eq!(value, expected.as_bytes());
            }
            Err(error) => {
                prop_assert!(!printable);
                prop_assert_eq!(error, RenderError::InvalidHeader("x-to".into()));
            }
        }
    }
}
