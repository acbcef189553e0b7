//! routes (written next)
