//! The core of the Pryv MFA service, shared by every Lambda function, the local server
//! and the tests.
//!
//! A map of the modules:
//! - [`config`]: the operator's configuration, in the three shapes operators already
//!   have, parsed and checked once per cold start.
//! - [`templates`]: operator HTTP request templates: parse, list variables, render by
//!   context so that no user value can change a request's shape.
//! - [`modes`]: the `single` and `challenge-verify` modes behind one interface; sends
//!   the rendered requests and reads the provider's answer.
//! - [`secrets`]: codes, mfaTokens, recovery codes, hashing, sealing and constant-time
//!   comparison.
//! - [`domain`]: validated request values (username, user data, code).
//! - [`store`]: the storage interface and its in-memory and DynamoDB implementations.
//! - [`ssm`]: the configuration from SSM Parameter Store, decrypted.
//! - [`core_client`]: calls to the Pryv core (login, access-info).
//! - [`routes`]: one function per route, taking the [`AppContext`] and an `http`
//!   request and returning an `http` response.
//! - `lambda` (feature `lambda`): the adapter every Lambda function's `main` calls.
//! - [`error`]: the error type every route answers with, rendered as Pryv does.
#![warn(missing_docs)]

pub mod config;
pub mod context;
pub mod core_client;
pub mod domain;
pub mod error;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod logging;
pub mod modes;
pub mod routes;
pub mod secrets;
pub mod ssm;
pub mod store;
pub mod templates;

pub use context::AppContext;
pub use error::ApiError;
