//! Persona tools: the generator, the NIR, avatars, and the per-service-provider `sub`.

pub mod avatar;
pub mod commands;
pub mod generate;
pub mod nir;

use crate::config::{Config, Persona};
use crate::crypto::sub::compute_sub;
use crate::identity::normalise;

/// The `sub` each registered service provider would receive for `persona`
/// logging in through `idp` (the civil identity when `idp` is `None`):
/// (client name, client_id, sub).
pub fn subs(config: &Config, persona: &Persona, idp: Option<&str>) -> Vec<(String, String, String)> {
    let identity = idp
        .and_then(|i| persona.account(i))
        .map_or(&persona.identity, |a| &a.identity);
    let hash = normalise(identity).identity_hash;
    config
        .clients
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.client_id.clone(),
                compute_sub(&c.entity_id, &hash, &config.platform.sub_secret),
            )
        })
        .collect()
}
