//! The one error type every route answers with.
//!
//! Each variant is a row of DESIGN.md section 3. [`ApiError::into_response`] renders it
//! as Pryv does, `{"error": {"id", "message"}}`, and never puts internal detail, a
//! code, a token or a recovery code in the message.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use serde_json::json;

/// An answer other than success, as the client sees it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The Pryv core refused (login, token check): its status, body and headers are
    /// forwarded unchanged.
    #[error("the Pryv core refused the request ({status})")]
    CoreRefused {
        /// The core's status.
        status: StatusCode,
        /// The core's body, forwarded as is (`meta` included).
        body: Bytes,
        /// The core's content type, passed on.
        content_type: Option<HeaderValue>,
    },
    /// Missing Authorization; unknown, expired or spent mfaToken; another user's
    /// mfaToken; a token that is not personal.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Malformed JSON or a missing parameter.
    #[error("invalid request structure: {0}")]
    InvalidRequestStructure(String),
    /// A wrong type, an invalid username or user data, an unknown recovery code.
    #[error("invalid parameters format: {0}")]
    InvalidParametersFormat(String),
    /// The MFA code is wrong.
    #[error("invalid MFA code")]
    InvalidCode,
    /// The communication service failed: unreachable, timed out, 5xx, refused a send.
    #[error("the communication service failed")]
    MessagingServerError,
    /// MFA already active on activate, or not active on recover.
    #[error("invalid operation: {0}")]
    InvalidOperation(String),
    /// Too many sends or failed attempts.
    #[error("too many requests, retry after {retry_after_seconds} s")]
    TooManyRequests {
        /// What the client should wait, in seconds (`Retry-After`).
        retry_after_seconds: u64,
        /// Which limit was reached, without any user value.
        message: String,
    },
    /// The Pryv core, or the store, cannot be reached.
    #[error("service unavailable: {0}")]
    ApiUnavailable(String),
    /// Anything else. The cause is logged once at the edge and never sent.
    #[error("unexpected error")]
    Unexpected(#[source] anyhow::Error),
}

impl ApiError {
    /// Shorthand for [`ApiError::Forbidden`].
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    /// Shorthand for [`ApiError::InvalidRequestStructure`].
    pub fn structure(message: impl Into<String>) -> Self {
        Self::InvalidRequestStructure(message.into())
    }

    /// Shorthand for [`ApiError::InvalidParametersFormat`].
    pub fn format(message: impl Into<String>) -> Self {
        Self::InvalidParametersFormat(message.into())
    }

    /// The HTTP status of this answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::CoreRefused { status, .. } => *status,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::InvalidRequestStructure(_)
            | Self::InvalidParametersFormat(_)
            | Self::InvalidCode
            | Self::MessagingServerError
            | Self::InvalidOperation(_) => StatusCode::BAD_REQUEST,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ApiUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The Pryv error id, or `None` for a forwarded core answer.
    pub fn id(&self) -> Option<&'static str> {
        Some(match self {
            Self::CoreRefused { .. } => return None,
            Self::Forbidden(_) => "forbidden",
            Self::InvalidRequestStructure(_) => "invalid-request-structure",
            Self::InvalidParametersFormat(_) => "invalid-parameters-format",
            Self::InvalidCode => "invalid-code",
            Self::MessagingServerError => "messaging-server-error",
            Self::InvalidOperation(_) => "invalid-operation",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::ApiUnavailable(_) => "api-unavailable",
            Self::Unexpected(_) => "unexpected-error",
        })
    }

    /// The client-facing message: fixed text or validation detail, never a secret.
    fn message(&self) -> String {
        match self {
            Self::CoreRefused { .. } => String::new(),
            Self::Forbidden(m)
            | Self::InvalidRequestStructure(m)
            | Self::InvalidParametersFormat(m)
            | Self::InvalidOperation(m)
            | Self::ApiUnavailable(m) => m.clone(),
            Self::TooManyRequests { message, .. } => message.clone(),
            Self::InvalidCode => "The MFA code is invalid.".into(),
            Self::MessagingServerError => {
                "The communication service could not be reached or refused the request.".into()
            }
            Self::Unexpected(_) => "An unexpected error occurred.".into(),
        }
    }

    /// The response a client receives for this error.
    pub fn into_response(self) -> Response<Bytes> {
        let status = self.status();
        if let Self::CoreRefused {
            body, content_type, ..
        } = self
        {
            let mut response = Response::new(body);
            *response.status_mut() = status;
            let content_type = content_type.unwrap_or(HeaderValue::from_static("application/json"));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, content_type);
            return response;
        }
        let body = json!({ "error": { "id": self.id(), "message": self.message() } });
        let mut response = Response::new(Bytes::from(body.to_string()));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Self::TooManyRequests {
            retry_after_seconds,
            ..
        } = self
        {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        match error {
            crate::store::StoreError::Unavailable(_) => {
                Self::ApiUnavailable("The MFA storage is unavailable; retry later.".into())
            }
            crate::store::StoreError::Corrupt(cause) => Self::Unexpected(cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(response: &Response<Bytes>) -> serde_json::Value {
        serde_json::from_slice(response.body()).expect("error bodies are JSON")
    }

    #[test]
    fn every_error_renders_the_documented_shape() {
        let cases = [
            (ApiError::forbidden("no token"), 403, "forbidden"),
            (
                ApiError::structure("bad JSON"),
                400,
                "invalid-request-structure",
            ),
            (
                ApiError::format("bad username"),
                400,
                "invalid-parameters-format",
            ),
            (ApiError::InvalidCode, 400, "invalid-code"),
            (
                ApiError::MessagingServerError,
                400,
                "messaging-server-error",
            ),
            (
                ApiError::InvalidOperation("x".into()),
                400,
                "invalid-operation",
            ),
            (
                ApiError::ApiUnavailable("down".into()),
                503,
                "api-unavailable",
            ),
        ];
        for (error, status, id) in cases {
            let response = error.into_response();

            assert_eq!(response.status().as_u16(), status, "{id}");
            assert_eq!(body_json(&response)["error"]["id"], id);
        }
    }

    #[test]
    fn too_many_requests_carries_retry_after() {
        let error = ApiError::TooManyRequests {
            retry_after_seconds: 42,
            message: "slow down".into(),
        };

        let response = error.into_response();

        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }

    #[test]
    fn unexpected_errors_hide_their_cause() {
        let error = ApiError::Unexpected(anyhow::anyhow!("table item broken: secret-detail"));

        let response = error.into_response();

        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!String::from_utf8_lossy(response.body()).contains("secret-detail"));
    }

    #[test]
    fn a_core_refusal_is_forwarded_byte_for_byte() {
        let body = Bytes::from_static(
            br#"{"error":{"id":"invalid-credentials","message":"m","meta":{"x":1}}}"#,
        );
        let error = ApiError::CoreRefused {
            status: StatusCode::UNAUTHORIZED,
            body: body.clone(),
            content_type: None,
        };

        let response = error.into_response();

        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.body(), &body);
    }
}
