//! Protocol pieces shared by the platform and the identity providers.

pub mod scopes;
pub mod store;
