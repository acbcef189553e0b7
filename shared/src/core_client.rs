//! Calls to the Pryv core: the login the MFA service stands in front of, and the check
//! that a token is a personal one.
//!
//! The core's refusals are forwarded to the client unchanged (status, body and its
//! `meta`); the core's absence becomes `api-unavailable`. Bodies are never logged.

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, StatusCode};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::domain::Username;
use crate::error::ApiError;

/// The largest core answer read; a login answer is a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// The request headers passed on to the core's login: it refuses untrusted origins.
const FORWARDED_REQUEST_HEADERS: [HeaderName; 2] = [header::ORIGIN, header::REFERER];

/// The core's login answer, kept whole so that it can be given back later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreAnswer {
    /// The core's status.
    pub status: u16,
    /// The core's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The core's `Set-Cookie` headers (Pryv's single sign-on).
    pub set_cookies: Vec<String>,
    /// The core's body.
    pub body: Vec<u8>,
}

impl CoreAnswer {
    /// Whether the core accepted the request.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The answer as a response to the client, headers included.
    pub fn into_response(self) -> http::Response<Bytes> {
        let mut response = http::Response::new(Bytes::from(self.body));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        if let Some(value) = self.content_type.and_then(|v| v.parse().ok()) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        for cookie in self.set_cookies {
            if let Ok(value) = cookie.parse() {
                headers.append(header::SET_COOKIE, value);
            }
        }
        response
    }

    /// The answer as a forwarded refusal.
    pub fn into_refusal(self) -> ApiError {
        ApiError::CoreRefused {
            status: StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_GATEWAY),
            body: Bytes::from(self.body),
            content_type: self.content_type.and_then(|v| v.parse().ok()),
        }
    }
}

/// A client of one Pryv core.
#[derive(Clone, Debug)]
pub struct CoreClient {
    http: reqwest::Client,
    base: Url,
}

#[derive(Deserialize)]
struct AccessInfo {
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl CoreClient {
    /// A client of the core at `base`, sharing the service's HTTP client.
    pub fn new(http: reqwest::Client, base: Url) -> Self {
        Self { http, base }
    }

    /// The core's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn user_url(&self, user: &Username, path: &str) -> Url {
        let mut url = self.base.clone();
        let prefix = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{prefix}/{}/{path}", user.as_str()));
        url
    }

    /// Forwards a login (body as sent, with the client's Origin and Referer) and
    /// returns the core's answer, success or not.
    pub async fn login(
        &self,
        user: &Username,
        body: Bytes,
        client_headers: &HeaderMap,
    ) -> Result<CoreAnswer, ApiError> {
        let mut request = self
            .http
            .post(self.user_url(user, "auth/login"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        for name in FORWARDED_REQUEST_HEADERS {
            if let Some(value) = client_headers.get(&name) {
                request = request.header(name, value);
            }
        }
        let response = request.send().await.map_err(unavailable)?;
        read_answer(response).await
    }

    /// Checks that `token` is a personal token of `user`; a refusal by the core is
    /// forwarded, any other token type is `forbidden`.
    pub async fn check_personal_token(&self, user: &Username, token: &str) -> Result<(), ApiError> {
        let response = self
            .http
            .get(self.user_url(user, "access-info"))
            .header(header::AUTHORIZATION, token)
            .send()
            .await
            .map_err(unavailable)?;
        let answer = read_answer(response).await?;
        if !answer.is_success() {
            return Err(answer.into_refusal());
        }
        let info: AccessInfo = serde_json::from_slice(&answer.body)
            .map_err(|_| ApiError::ApiUnavailable("The Pryv core answered unreadably.".into()))?;
        if info.kind.as_deref() == Some("personal") {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "This operation requires a personal access token.",
            ))
        }
    }
}

fn unavailable(error: reqwest::Error) -> ApiError {
    tracing::warn!(
        timeout = error.is_timeout(),
        connect = error.is_connect(),
        "Pryv core unreachable"
    );
    ApiError::ApiUnavailable("The Pryv core is unreachable; retry later.".into())
}

async fn read_answer(mut response: reqwest::Response) -> Result<CoreAnswer, ApiError> {
    let status = response.status().as_u16();
    let headers = response.headers();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let set_cookies = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unavailable)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ApiError::ApiUnavailable(
                "The Pryv core answered with an oversized body.".into(),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(CoreAnswer {
        status,
        content_type,
        set_cookies,
        body,
    })
}

/// Builds the one HTTP client a process uses for the core and the provider.
pub fn http_client(connect: Duration, total: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        // The provider and the core are called by URL only: a redirect would be an
        // operator error or an attack, never something to follow.
        .redirect(reqwest::redirect::Policy::none())
        .build()
}
