//! Reading the configuration document from SSM Parameter Store.
//!
//! The operator keeps the configuration in one `SecureString` parameter (it holds the
//! communication service's API keys) and gives its name in `MFA_CONFIG_PARAMETER`. A
//! function reads it once per cold start, decrypted, through [`ParameterSource`].
//!
//! The client comes from `aws_config::defaults`, so the usual environment applies:
//! region, credentials, and `AWS_ENDPOINT_URL_SSM` / `AWS_ENDPOINT_URL`, which point it at
//! a local server in tests. Timeouts are short: a cold start that cannot read its
//! configuration should fail fast and be retried by Lambda, not hang.
//!
//! Errors name the parameter, never its value: the value is returned as a
//! [`SecretString`] whose `Debug` is redacted.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use secrecy::SecretString;

/// Time allowed to open a connection to SSM.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time allowed for a whole `GetParameter` call, retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a parameter could not be read. Each variant names the parameter, never its value.
#[derive(Debug, thiserror::Error)]
pub enum SsmError {
    /// No parameter of that name (or a version or label that does not exist).
    #[error("SSM parameter '{name}' not found")]
    NotFound {
        /// The parameter's name.
        name: String,
    },
    /// The function may not read the parameter or decrypt it with its KMS key.
    #[error("access denied to SSM parameter '{name}' ({code}): check the function's ssm:GetParameter and kms:Decrypt permissions")]
    AccessDenied {
        /// The parameter's name.
        name: String,
        /// The AWS error code (e.g. `AccessDeniedException`, `InvalidKeyId`).
        code: String,
    },
    /// SSM could not be reached in time (connection refused, DNS, timeout).
    #[error("SSM unreachable while reading parameter '{name}'")]
    Unreachable {
        /// The parameter's name.
        name: String,
        /// The transport error (carries no parameter value).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// SSM answered with another error (throttling, internal error...).
    #[error("SSM refused to read parameter '{name}' ({code})")]
    Failed {
        /// The parameter's name.
        name: String,
        /// The AWS error code, or `unknown`.
        code: String,
    },
    /// SSM answered without a value (not expected from `GetParameter`).
    #[error("SSM parameter '{name}' has no value")]
    Empty {
        /// The parameter's name.
        name: String,
    },
}

/// What an AWS error code means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    NotFound,
    AccessDenied,
    Other,
}

/// Sorts an AWS error code. `InvalidKeyId` and the KMS errors SSM relays mean the
/// key cannot be used by this function: for an operator that is a permission problem.
fn classify(code: Option<&str>) -> Kind {
    match code {
        Some("ParameterNotFound" | "ParameterVersionNotFound") => Kind::NotFound,
        Some(
            "AccessDeniedException"
            | "AccessDenied"
            | "UnauthorizedOperation"
            | "InvalidKeyId"
            | "KMSAccessDeniedException"
            | "KMSDisabledException"
            | "KMSInvalidStateException"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException",
        ) => Kind::AccessDenied,
        _ => Kind::Other,
    }
}

/// Reads decrypted parameters with one SSM client, built once per process.
#[derive(Clone, Debug)]
pub struct ParameterSource {
    client: aws_sdk_ssm::Client,
}

impl ParameterSource {
    /// A source on the environment's AWS configuration (region, credentials, endpoint
    /// overrides), with the module's connect and operation timeouts.
    pub async fn from_env() -> Self {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build();
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts)
            .load()
            .await;
        Self::new(aws_sdk_ssm::Client::new(&shared))
    }

    /// A source on a client built by the caller (tests, or a shared `SdkConfig`).
    pub fn new(client: aws_sdk_ssm::Client) -> Self {
        Self { client }
    }

    /// The decrypted value of the parameter `name` (`SecureString` or plain `String`).
    pub async fn fetch(&self, name: &str) -> Result<SecretString, SsmError> {
        let answer = self
            .client
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|err| to_ssm_error(name, err))?;
        answer
            .parameter()
            .and_then(|p| p.value())
            .map(|v| SecretString::from(v.to_owned()))
            .ok_or_else(|| SsmError::Empty {
                name: name.to_owned(),
            })
    }
}

/// Turns an SDK error into an [`SsmError`], keeping only the error code from the
/// service: its message is not needed to act, and nothing of the value gets in.
fn to_ssm_error<E, R>(name: &str, err: SdkError<E, R>) -> SsmError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let name = name.to_owned();
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => SsmError::Unreachable {
            name,
            source: Box::new(err),
        },
        other => {
            let code = other.code().map(str::to_owned);
            match classify(code.as_deref()) {
                Kind::NotFound => SsmError::NotFound { name },
                Kind::AccessDenied => SsmError::AccessDenied {
                    name,
                    code: code.unwrap_or_default(),
                },
                Kind::Other => SsmError::Failed {
                    name,
                    code: code.unwrap_or_else(|| "unknown".to_owned()),
                },
            }
        }
    }
}

/// Reads the parameter `name`, decrypted, with a client from the environment.
/// Builds a new client each call: a cold start calls it once.
pub async fn fetch_parameter(name: &str) -> Result<SecretString, SsmError> {
    ParameterSource::from_env().await.fetch(name).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::config::{Credentials, Region};
    use std::net::TcpListener;

    #[test]
    fn missing_parameter_codes_mean_not_found() {
        assert_eq!(classify(Some("ParameterNotFound")), Kind::NotFound);
        assert_eq!(classify(Some("ParameterVersionNotFound")), Kind::NotFound);
    }

    #[test]
    fn permission_and_key_codes_mean_access_denied() {
        for code in [
            "AccessDeniedException",
            "InvalidKeyId",
            "KMSAccessDeniedException",
        ] {
            assert_eq!(classify(Some(code)), Kind::AccessDenied, "{code}");
        }
    }

    #[test]
    fn throttling_and_unknown_codes_are_other_failures() {
        assert_eq!(classify(Some("ThrottlingException")), Kind::Other);
        assert_eq!(classify(Some("InternalServerError")), Kind::Other);
        assert_eq!(classify(None), Kind::Other);
    }

    #[test]
    fn error_messages_name_the_parameter() {
        let err = SsmError::NotFound {
            name: "/pryv-mfa/config".into(),
        };
        assert_eq!(
            err.to_string(),
            "SSM parameter '/pryv-mfa/config' not found"
        );
        let err = SsmError::AccessDenied {
            name: "/pryv-mfa/config".into(),
            code: "InvalidKeyId".into(),
        };
        assert!(err.to_string().contains("'/pryv-mfa/config'"));
        assert!(err.to_string().contains("InvalidKeyId"));
    }

    /// A port on loopback where nothing listens: bind, note the port, close.
    fn closed_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.local_addr().expect("local addr").port()
    }

    #[tokio::test]
    async fn closed_endpoint_is_unreachable_and_named() {
        let config = aws_sdk_ssm::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .endpoint_url(format!("http://127.0.0.1:{}", closed_port()))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            )
            .build();
        let source = ParameterSource::new(aws_sdk_ssm::Client::from_conf(config));
        let err = source
            .fetch("/pryv-mfa/closed")
            .await
            .expect_err("nothing listens there");
        assert!(
            matches!(&err, SsmError::Unreachable { name, .. } if name == "/pryv-mfa/closed"),
            "{err:?}"
        );
        assert!(err.to_string().contains("/pryv-mfa/closed"));
    }
}
