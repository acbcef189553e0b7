//! The service over real HTTP, one module per feature: every success and error row of
//! DESIGN.md section 3, in both modes, on both stores.
//!
//! Each test is an `async fn(StoreKind)`, run once per store by
//! [`mfa_tests::both_stores!`]: `cargo test -p mfa-tests --test api memory` runs the
//! in-memory variants, `... dynamodb` the DynamoDB ones (they need `scripts/test.sh`).

mod activate;
mod at_rest;
mod challenge;
mod confirm;
mod cors;
mod deactivate;
mod flows;
mod limits;
mod login;
mod races;
mod recover;
mod verify;
