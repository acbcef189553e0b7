//! modes (written next)
