//! logging (written next)
