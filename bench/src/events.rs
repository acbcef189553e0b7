//! API Gateway HTTP API (payload format 2.0) events, as API Gateway hands them to a
//! function, and the responses `lambda_http` answers them with.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// An HTTP API v2 event under construction: a POST to `/{username}/{route path}`.
#[derive(Clone, Debug)]
pub struct HttpApiEvent {
    username: String,
    route_path: String,
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

impl HttpApiEvent {
    /// A POST to `/{username}/{route_path}` (e.g. `mfa/verify`), with the username
    /// as the `{username}` path parameter, as the stack's routes declare it.
    pub fn post(username: &str, route_path: &str) -> Self {
        Self {
            username: username.to_owned(),
            route_path: route_path.trim_matches('/').to_owned(),
            headers: BTreeMap::new(),
            body: None,
        }
    }

    /// Adds a header (API Gateway lower-cases names).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .insert(name.to_ascii_lowercase(), value.to_owned());
        self
    }

    /// Sets the `Authorization` header.
    pub fn authorization(self, token: &str) -> Self {
        self.header("authorization", token)
    }

    /// A JSON body, with its content type.
    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string());
        self.header("content-type", "application/json")
    }

    /// The event as the function receives it.
    pub fn to_json(&self) -> Value {
        let path = format!("/{}/{}", self.username, self.route_path);
        let route_key = format!("POST /{{username}}/{}", self.route_path);
        let mut headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect();
        headers.insert(
            "host".into(),
            json!("api-id.execute-api.us-east-1.amazonaws.com"),
        );
        json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": "",
            "headers": headers,
            "pathParameters": { "username": self.username },
            "requestContext": {
                "accountId": "000000000000",
                "apiId": "api-id",
                "domainName": "api-id.execute-api.us-east-1.amazonaws.com",
                "domainPrefix": "api-id",
                "http": {
                    "method": "POST",
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": "mfa-bench"
                },
                "requestId": "bench-request",
                "routeKey": route_key,
                "stage": "$default",
                "time": "01/Jan/2025:00:00:00 +0000",
                "timeEpoch": 1_735_689_600_000_u64
            },
            "body": self.body,
            "isBase64Encoded": false
        })
    }
}

/// An API Gateway v2 response, as `lambda_http` writes it.
#[derive(Clone, Debug)]
pub struct HttpApiResponse {
    /// `statusCode`.
    pub status: u16,
    /// `headers`, names lower-case.
    pub headers: BTreeMap<String, String>,
    /// `cookies`: the `Set-Cookie` values, which v2 keeps out of the headers.
    pub cookies: Vec<String>,
    /// `body`, as text (empty when absent).
    pub body: String,
}

/// Why a payload is not an API Gateway v2 response.
#[derive(Debug, thiserror::Error)]
#[error("not an API Gateway v2 response: {0}")]
pub struct NotAResponse(&'static str);

impl HttpApiResponse {
    /// Reads a function's response payload.
    pub fn parse(payload: &Value) -> Result<Self, NotAResponse> {
        let status = payload
            .get("statusCode")
            .and_then(Value::as_u64)
            .and_then(|code| u16::try_from(code).ok())
            .ok_or(NotAResponse("no statusCode"))?;
        if payload.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
            return Err(NotAResponse("the body is base64: the service answers text"));
        }
        let headers = payload
            .get("headers")
            .and_then(Value::as_object)
            .map(|headers| {
                headers
                    .iter()
                    .filter_map(|(name, value)| {
                        Some((name.to_ascii_lowercase(), value.as_str()?.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cookies = payload
            .get("cookies")
            .and_then(Value::as_array)
            .map(|cookies| {
                cookies
                    .iter()
                    .filter_map(|cookie| cookie.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let body = payload
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok(Self {
            status,
            headers,
            cookies,
            body,
        })
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}
