//! The test harness of the Pryv MFA service, in the style of zero-to-production's
//! `spawn_app`: each test starts its own service on a loopback port, in front of a
//! fake Pryv core and a fake communication service (wiremock), with a configuration
//! parsed from YAML by the real parser, a clock that moves only when told, and a store
//! of its own (in memory, or a fresh DynamoDB table).
//!
//! - [`spawn_app`] and [`TestApp`]: one method per route, over real HTTP.
//! - [`TestOptions`], [`Mode`], [`StoreKind`]: what to start.
//! - [`Answer`]: a response read whole, with the assertions tests share.
//! - [`fake_core`]: the Pryv core's behaviour (login, access-info).
//! - [`fake_provider`]: the provider's behaviour and the codes it received.
//!
//! Logs stay off unless `TEST_LOG` is set.
#![warn(missing_docs)]

mod answer;
mod app;
mod config;
pub mod fake_core;
pub mod fake_provider;
mod options;
mod store;

pub use answer::Answer;
pub use app::{spawn_app, TestApp};
pub use fake_core::{PASSWORD, SSO_COOKIE};
pub use options::{Mode, TestOptions};
pub use store::{scan_table, StoreKind};

/// The user most tests act as.
pub const ALICE: &str = "alice1";
/// Another user, for tests of binding between users.
pub const BOB: &str = "bobby1";

/// Runs an async test function taking a [`StoreKind`] once per store: for each name,
/// a module of that name with two tests, `memory` and `dynamodb`, e.g.
/// `verify::a_right_code_logs_in::memory`. Filter with `memory` or `dynamodb`.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn memory() {
                    super::$name($crate::StoreKind::Memory).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn dynamodb() {
                    super::$name($crate::StoreKind::DynamoDb).await
                }
            }
        )*
    };
}
