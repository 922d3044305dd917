//! FranceConnect's userinfo endpoint: the claims an access token's scopes
//! release, as a signed JWT (sealed for FranceConnect+).
//!
//! The claims are listed borrowed from the grant ([`Released`]) and signed
//! straight from that list; only a scripted fault, which edits them, turns
//! them into a JSON object first. Either way the JSON is the same, keys
//! sorted.

use axum::Extension;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::SerializeMap as _;
use serde_json::{Map, Value};

use super::AccessGrant;
use super::error::OAuthError;
use super::token::seal;
use super::view::PlatformView;
use crate::config::fault::SignatureFault;
use crate::identity::NormalisedIdentity;
use crate::journal::RequestContext;
use crate::oidc::form::parse_form;
use crate::oidc::scopes;
use crate::oidc::store::Lookup;
use crate::scenarios::Action;
use crate::scenarios::tokens::{sign_spoiled, spoil_all, token_faults};

/// One released claim's value, borrowed from the grant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
enum Claim<'a> {
    Text(&'a str),
    List(&'a [String]),
    Number(i64),
}

impl Claim<'_> {
    fn to_value(self) -> Value {
        match self {
            Claim::Text(s) => Value::from(s),
            Claim::List(l) => Value::from(l.to_vec()),
            Claim::Number(n) => Value::from(n),
        }
    }
}

/// The claims of a userinfo answer, sorted by name, each name once.
#[derive(Debug)]
struct Released<'a>(Vec<(&'a str, Claim<'a>)>);

impl<'a> Released<'a> {
    fn new(mut claims: Vec<(&'a str, Claim<'a>)>) -> Self {
        // Stable: of a claim two scopes name, the first is kept (both
        // carry the same value).
        claims.sort_by_key(|(name, _)| *name);
        claims.dedup_by_key(|(name, _)| *name);
        Self(claims)
    }

    /// The claims as a JSON object, for a fault to edit.
    fn to_map(&self) -> Map<String, Value> {
        self.0.iter().map(|(k, v)| ((*k).to_owned(), v.to_value())).collect()
    }
}

impl Serialize for Released<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The userinfo payload: requested claims plus `sub aud exp iat iss`.
///
/// FranceConnect v2 releases the RNIPP-normalised identity (`released` is
/// the grant's identity). FranceConnect+ releases the identity provider's
/// own values (`released` is [`as_sent_by_idp`]), and the RNIPP's only
/// under the `rnipp_*` scopes.
fn userinfo_claims<'a>(
    g: &'a AccessGrant,
    released: &'a NormalisedIdentity,
    iss: &'a str,
    iat: i64,
    ttl: i64,
) -> Released<'a> {
    let mut out = vec![("sub", Claim::Text(&g.sub))];
    for claim in scopes::claims_on(&g.scopes, g.plus) {
        let value = match claim {
            "amr" => Some(Claim::List(&g.amr)),
            "idp_id" => Some(Claim::Text(&g.idp)),
            // FranceConnect+'s rnipp_* claims: the civil registry's values.
            rnipp if g.plus && rnipp.starts_with("rnipp_") => rnipp
                .strip_prefix("rnipp_")
                .and_then(|c| identity_claim(&g.identity, c)),
            other => identity_claim(released, other),
        };
        if let Some(v) = value {
            out.push((claim, v));
        }
    }
    out.extend([
        ("aud", Claim::Text(&g.client_id)),
        ("exp", Claim::Number(iat + ttl)),
        ("iat", Claim::Number(iat)),
        ("iss", Claim::Text(iss)),
    ]);
    Released::new(out)
}

/// One identity claim's value, or `None` when the identity lacks it.
fn identity_claim<'a>(id: &'a NormalisedIdentity, claim: &str) -> Option<Claim<'a>> {
    Some(match claim {
        "given_name" => Claim::Text(&id.given_name),
        "given_name_array" => Claim::List(&id.given_name_array),
        "family_name" => Claim::Text(&id.family_name),
        "birthdate" => Claim::Text(&id.birthdate),
        "idp_birthdate" => Claim::Text(&id.idp_birthdate),
        "gender" => Claim::Text(&id.gender),
        "birthplace" => Claim::Text(&id.birthplace),
        "birthcountry" => Claim::Text(&id.birthcountry),
        "email" => Claim::Text(id.email.as_deref()?),
        "preferred_username" => Claim::Text(id.preferred_username.as_deref().filter(|u| !u.is_empty())?),
        _ => return None,
    })
}

/// The identity provider's values in the released shape (FranceConnect+).
fn as_sent_by_idp(raw: &crate::identity::Identity) -> NormalisedIdentity {
    NormalisedIdentity {
        given_name: raw.given_name.clone(),
        given_name_array: raw.given_name.split_whitespace().map(str::to_owned).collect(),
        family_name: raw.family_name.clone(),
        birthdate: raw.birthdate.clone(),
        idp_birthdate: raw.birthdate.clone(),
        gender: raw.gender.clone(),
        birthplace: raw.birthplace.clone(),
        birthcountry: raw.birthcountry.clone(),
        email: raw.email.clone(),
        preferred_username: raw.preferred_username.clone(),
        identity_hash: String::new(),
    }
}

fn invalid_token(description: &str, code: &'static str) -> OAuthError {
    let mut e = OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_token", description, code);
    e.bearer_challenge = true;
    e
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

async fn userinfo_response(
    state: &PlatformView,
    rc: Option<&RequestContext>,
    token: Option<String>,
) -> Result<Response, OAuthError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(invalid_token(
            "no access token provided (no access token provided)",
            "Y04146A2",
        ));
    };
    let grant = match state.hub.access_tokens.lookup(&token, state.clock.now_ms()) {
        Lookup::Live(g) => g,
        Lookup::Expired => {
            return Err(invalid_token(
                "invalid token provided (access token is expired)",
                "Y040001",
            ));
        }
        Lookup::Missing => {
            return Err(invalid_token(
                "invalid token provided (access token not found)",
                "Y040001",
            ));
        }
    };
    let cfg = state.config();
    let Some(client) = cfg.client(&grant.client_id) else {
        return Err(invalid_token("invalid token provided (client not found)", "Y040001"));
    };
    let plus_values = grant.plus.then(|| as_sent_by_idp(&grant.raw));
    let now = state.clock.now();
    let ttl = i64::try_from(cfg.platform.id_token_ttl).unwrap_or(60);
    let claims = userinfo_claims(
        &grant,
        plus_values.as_ref().unwrap_or(&grant.identity),
        state.issuer(),
        now,
        ttl,
    );
    let endpoint = state.kind.endpoint("userinfo");
    let faults = token_faults(&state.scenarios, &state.rng, rc, &endpoint, Action::userinfo);
    let signer = state.hub.keys.signer(client.signing_alg);
    let signed = match spoil_all(&faults, || claims.to_map(), now) {
        None => signer.and_then(|k| k.sign(&claims)),
        Some((map, last)) if last.signature == Some(SignatureFault::Unsigned) => {
            return Ok((StatusCode::OK, axum::Json(Value::Object(map))).into_response());
        }
        Some((map, last)) => signer.and_then(|k| sign_spoiled(last, &k, &map)),
    };
    let jwt = signed.map_err(OAuthError::server)?;
    let sealed = seal(state, client, jwt).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/jwt; charset=utf-8")],
        sealed,
    )
        .into_response())
}

/// `GET /api/v2/userinfo` (token in the header, or in the query as FranceConnect accepts).
pub(crate) async fn userinfo_get(
    state: PlatformView,
    rc: Option<Extension<RequestContext>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, OAuthError> {
    let from_query = parse_form(q.as_deref().unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v);
    userinfo_response(&state, rc.as_deref(), bearer(&headers).or(from_query)).await
}

/// `POST /api/v2/userinfo` (token in the header or the form body).
pub(crate) async fn userinfo_post(
    state: PlatformView,
    rc: Option<Extension<RequestContext>>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, OAuthError> {
    let from_body = parse_form(&body)
        .into_iter()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v);
    userinfo_response(&state, rc.as_deref(), bearer(&headers).or(from_body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signed from the list or from the object a fault edits, the claims
    /// read the same, byte for byte.
    #[test]
    fn released_claims_serialise_as_their_object() {
        let id = NormalisedIdentity {
            given_name: "Camille Anne".into(),
            given_name_array: vec!["Camille".into(), "Anne".into()],
            family_name: "ROCHEFORT".into(),
            birthdate: "1990-01-02".into(),
            idp_birthdate: "1990-01-02".into(),
            gender: "female".into(),
            birthplace: "75056".into(),
            birthcountry: "99100".into(),
            email: Some("c@example.org".into()),
            preferred_username: Some(String::new()),
            identity_hash: String::new(),
        };
        let names = [
            "given_name",
            "email",
            "given_name_array",
            "preferred_username",
            "gender",
        ];
        let mut list: Vec<_> = names
            .iter()
            .filter_map(|n| Some((*n, identity_claim(&id, n)?)))
            .collect();
        list.push(("email", Claim::Text("c@example.org")));
        list.push(("iat", Claim::Number(1_000)));
        let released = Released::new(list);
        assert_eq!(released.0.len(), 5, "one email, no empty username: {released:?}");
        let direct = serde_json::to_string(&released).expect("serialises");
        let via_map = serde_json::to_string(&released.to_map()).expect("serialises");
        assert_eq!(direct, via_map);
        assert!(
            direct.starts_with(r#"{"email":"c@example.org","gender":"female","given_name""#),
            "{direct}"
        );
    }
}
