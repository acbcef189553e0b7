//! A response of the service, read whole, with the checks tests share.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// A response read whole: status, headers and body.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, as received.
    pub body: Bytes,
}

impl Answer {
    pub(crate) async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("reading the service's answer: {e}"));
        Self {
            status,
            headers,
            body,
        }
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The error id of an error answer.
    pub fn error_id(&self) -> Option<String> {
        self.json()["error"]["id"].as_str().map(str::to_owned)
    }

    /// The whole answer as text, headers and body, to check what must not appear.
    pub fn everything(&self) -> String {
        let mut all = String::new();
        for (name, value) in &self.headers {
            all.push_str(name.as_str());
            all.push_str(": ");
            all.push_str(&String::from_utf8_lossy(value.as_bytes()));
            all.push('\n');
        }
        all.push_str(&self.text());
        all
    }

    /// Asserts the status, with the body in the message.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "expected status {status}, got {} with {}",
            self.status,
            self.text()
        );
        self
    }

    /// Asserts an error answer: its status and `{"error": {"id", "message"}}`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, id: &str) -> &Self {
        self.assert_status(status);
        assert_eq!(self.error_id().as_deref(), Some(id), "{}", self.text());
        assert!(
            self.json()["error"]["message"].is_string(),
            "an error has a message: {}",
            self.text()
        );
        self
    }

    /// The mfaToken of a `{"mfaToken"}` answer, checking it is the only field.
    #[track_caller]
    pub fn mfa_token(&self) -> String {
        let body = self.json();
        let object = body
            .as_object()
            .unwrap_or_else(|| panic!("expected {{\"mfaToken\"}}, got {}", self.text()));
        assert_eq!(object.len(), 1, "only the mfaToken: {}", self.text());
        object["mfaToken"]
            .as_str()
            .unwrap_or_else(|| panic!("expected {{\"mfaToken\"}}, got {}", self.text()))
            .to_owned()
    }
}
