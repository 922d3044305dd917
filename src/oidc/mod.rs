//! Protocol pieces shared by the platform and the identity providers.

pub mod form;
pub mod ids;
pub mod provider;
pub mod rejection;
pub mod scopes;
pub mod store;
