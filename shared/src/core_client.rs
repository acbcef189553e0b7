//! core_client (written next)
