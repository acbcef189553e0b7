//! context (written next)
/// placeholder
pub struct AppContext;
