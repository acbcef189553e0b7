//! Tools to run the Pryv MFA function binaries as Lambda does, on loopback: for the
//! benchmarks (`mfa-bench`) and for the tests that prove the built binaries.
//!
//! - [`runtime_api`]: a minimal AWS Lambda Runtime API stand-in that hands events to
//!   a function process and collects its answers.
//! - [`proxy`]: a TCP proxy that counts the connections it forwards, to prove which
//!   calls a process makes (none during a cold start).
//! - [`function`]: a function binary as a child process with its own Runtime API.
//! - [`fakes`]: a core and a provider that answer at once, for load runs.
//! - [`load`]: wrk runs and their figures.
//! - [`events`]: API Gateway HTTP API (v2) events and the responses to them.
//! - [`sandbox`]: the local server's Pryv core stand-in and messaging endpoint,
//!   re-exported for the tests that drive the functions against it.

#![warn(missing_docs)]

pub mod events;
pub mod fakes;
pub mod function;
pub mod load;
pub mod proxy;
pub mod runtime_api;

pub use mfa_local::sandbox;
