//! FranceConnect's rules on the portal's own requests, read from the happy
//! path's authorize URL and from what fcmock's journal saw of its back
//! channel and of its logout. Facts: `PROTOCOL.md` (authorize parameters,
//! `client_secret_post`, logout), FranceConnect's `core-fcp` BDD suite.

use serde_json::Value;

use super::{Checker, Flow, param};
use crate::portal::fcmock::{at_endpoint, header_of as header, params_of as exchange_params};
use crate::portal::report::{Outcome, Verdict};

/// Shortest `state` and `nonce` a careful portal sends: the FranceConnect+
/// documentation (2022) asks for at least 32 characters; FranceConnect v2
/// refuses a nonce under 22 (`nonce_trop_court`).
const MIN_RANDOM: usize = 32;

fn outcome(id: &str, title: &str, fr: &str, en: &str) -> Outcome {
    let mut o = Outcome::new(id, title, "request rules");
    o.rule_fr = fr.to_owned();
    o.rule_en = en.to_owned();
    o
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn random_param(params: &[(String, String)], name: &str, o: Outcome) -> Outcome {
    match param(params, name) {
        None => o.judged(Verdict::Fail, format!("the authorize request has no `{name}`")),
        Some(v) if v.chars().count() < MIN_RANDOM => o.judged(
            Verdict::Fail,
            format!(
                "`{name}` has {} characters (`{v}`); at least {MIN_RANDOM} are expected",
                v.chars().count()
            ),
        ),
        Some(v) => o.judged(Verdict::Pass, format!("`{name}` has {} characters", v.chars().count())),
    }
}

/// The rules on authorize and on the back channel, from the happy path.
pub(super) fn judge(checker: &Checker<'_>, happy: &Flow) -> Vec<Outcome> {
    let Some(authorize) = happy.authorize.as_deref() else {
        return vec![
            outcome(
                "authorize.seen",
                "the portal sends the citizen to FranceConnect",
                "",
                "",
            )
            .judged(
                Verdict::Inconclusive,
                "the portal never reached FranceConnect's authorize",
            ),
        ];
    };
    let p = happy.authorize_params();
    let fcplus = authorize.contains("/fcplus/");
    let mut out = vec![
        random_param(
            &p,
            "state",
            outcome(
                "authorize.state",
                "state present, unpredictable and long enough",
                "Le paramètre state est obligatoire (Y030007 sinon) ; il doit être aléatoire, d'au moins 32 caractères, et lié à la session du navigateur pour parer la falsification de requête (CSRF).",
                "state is required (else Y030007); it must be random, at least 32 characters, and bound to the browser's session against login CSRF.",
            ),
        ),
        random_param(
            &p,
            "nonce",
            outcome(
                "authorize.nonce",
                "nonce present, unpredictable and long enough",
                "Le paramètre nonce est obligatoire (au moins 22 caractères en v2, 32 recommandés) ; le fournisseur de service le compare à celui de l'id_token pour parer le rejeu.",
                "nonce is required (at least 22 characters on v2, 32 recommended); the service provider compares it with the id_token's against replay.",
            ),
        ),
    ];

    let acr = outcome(
        "authorize.acr_values",
        "acr_values asks a level the platform serves",
        "acr_values est obligatoire : eidas1 sur FranceConnect, eidas2 ou eidas3 sur FranceConnect+.",
        "acr_values is required: eidas1 on FranceConnect, eidas2 or eidas3 on FranceConnect+.",
    );
    let allowed: &[&str] = if fcplus { &["eidas2", "eidas3"] } else { &["eidas1"] };
    out.push(match param(&p, "acr_values") {
        None => acr.judged(Verdict::Fail, "the authorize request has no `acr_values`"),
        Some(v) if v.split(' ').all(|l| allowed.contains(&l)) => acr.judged(Verdict::Pass, format!("acr_values={v}")),
        Some(v) => acr.judged(Verdict::Fail, format!("acr_values={v}; expected one of {allowed:?}")),
    });

    let redirect = outcome(
        "authorize.redirect_uri",
        "redirect_uri registered exactly",
        "redirect_uri doit être exactement une des URL de retour déclarées pour le fournisseur de service (comparaison stricte).",
        "redirect_uri must equal one of the service provider's registered redirect URIs exactly.",
    );
    let registered = strings(checker.client.get("redirect_uris"));
    out.push(match param(&p, "redirect_uri") {
        None => redirect.judged(Verdict::Fail, "the authorize request has no `redirect_uri`"),
        Some(v) if registered.iter().any(|r| r == v) => redirect.judged(Verdict::Pass, format!("{v} is registered")),
        Some(v) => redirect.judged(
            Verdict::Fail,
            format!(
                "{v} is not registered ({registered:?}); fcmock let it through only because the client allows localhost redirects, FranceConnect would not"
            ),
        ),
    });

    let scope = outcome(
        "authorize.scope",
        "scope has openid and only the client's scopes",
        "scope contient openid et uniquement des scopes autorisés pour le fournisseur de service.",
        "scope contains openid and only scopes the service provider is allowed.",
    );
    let client_scopes = strings(checker.client.get("scopes"));
    out.push(match param(&p, "scope") {
        None => scope.judged(Verdict::Fail, "the authorize request has no `scope`"),
        Some(v) if !v.split(' ').any(|s| s == "openid") => scope.judged(Verdict::Fail, format!("scope={v}: no openid")),
        Some(v) => {
            let extra: Vec<&str> = v
                .split(' ')
                .filter(|s| *s != "openid" && !client_scopes.is_empty() && !client_scopes.iter().any(|c| c == s))
                .collect();
            if extra.is_empty() {
                scope.judged(Verdict::Pass, format!("scope={v}"))
            } else {
                scope.judged(Verdict::Fail, format!("scope={v}: {extra:?} are not the client's"))
            }
        }
    });

    let rt = outcome(
        "authorize.response_type",
        "response_type is code",
        "FranceConnect ne sert que le flux code d'autorisation : response_type=code.",
        "FranceConnect serves the authorization code flow only: response_type=code.",
    );
    out.push(match param(&p, "response_type") {
        Some("code") => rt.judged(Verdict::Pass, "response_type=code"),
        other => rt.judged(Verdict::Fail, format!("response_type={}", other.unwrap_or("(absent)"))),
    });

    let pkce = outcome(
        "authorize.no_pkce",
        "no PKCE parameters",
        "FranceConnect v2 ne prend pas en charge PKCE : pas de code_challenge ni code_challenge_method.",
        "FranceConnect v2 does not support PKCE: no code_challenge or code_challenge_method.",
    );
    let sent: Vec<&str> = ["code_challenge", "code_challenge_method"]
        .into_iter()
        .filter(|n| param(&p, n).is_some())
        .collect();
    out.push(if sent.is_empty() {
        pkce.judged(Verdict::Pass, "no PKCE parameter")
    } else {
        pkce.judged(Verdict::Fail, format!("sent {sent:?}"))
    });

    out.extend(back_channel(happy));
    out
}

fn back_channel(happy: &Flow) -> Vec<Outcome> {
    let tokens = happy.calls("token");
    let auth = outcome(
        "token.client_secret_post",
        "token endpoint authenticated with client_secret_post",
        "Le fournisseur de service s'authentifie au token endpoint par client_secret_post (client_id et client_secret dans le corps).",
        "The service provider authenticates at the token endpoint with client_secret_post (client_id and client_secret in the body).",
    );
    let once = outcome(
        "token.once",
        "the code is redeemed once",
        "Un code d'autorisation ne s'échange qu'une fois ; un second échange révoque les jetons obtenus.",
        "An authorization code is redeemed once; a second exchange revokes the tokens it gave.",
    );
    let mut out = Vec::new();
    match tokens.first() {
        None => {
            out.push(auth.judged(Verdict::Inconclusive, "the portal never called the token endpoint"));
            out.push(once.judged(Verdict::Inconclusive, "the portal never called the token endpoint"));
        }
        Some(t) => {
            let params = exchange_params(t);
            let basic = header(t, "authorization").is_some_and(|h| h.to_lowercase().starts_with("basic"));
            let in_body = param(&params, "client_secret").is_some();
            out.push(if in_body && !basic {
                auth.judged(Verdict::Pass, "client_id and client_secret in the body")
            } else if basic {
                auth.judged(Verdict::Fail, "the portal used HTTP Basic (client_secret_basic)")
            } else {
                auth.judged(Verdict::Fail, "no client_secret in the token request's body")
            });
            out.push(if tokens.len() == 1 {
                once.judged(Verdict::Pass, "one token call")
            } else {
                once.judged(Verdict::Fail, format!("{} token calls in one login", tokens.len()))
            });
        }
    }
    let ui = outcome(
        "userinfo.called",
        "userinfo asked with the access token",
        "L'identité pivot s'obtient au userinfo endpoint, avec le jeton d'accès en en-tête Authorization: Bearer.",
        "The pivot identity comes from the userinfo endpoint, with the access token in an Authorization: Bearer header.",
    );
    let calls = happy.calls("userinfo");
    out.push(match calls.first() {
        Some(c) if header(c, "authorization").is_some_and(|h| h.starts_with("Bearer")) => {
            ui.judged(Verdict::Pass, "userinfo called with a bearer token")
        }
        Some(_) => ui.judged(Verdict::Fail, "userinfo called without an Authorization: Bearer header"),
        None => ui.judged(Verdict::Fail, "the portal never asked userinfo for the identity"),
    });
    out
}

/// Logout from the happy path's logged-in page, and FranceConnect's rules on it.
pub(super) async fn logout(checker: &Checker<'_>, happy: Flow) -> Vec<Outcome> {
    let reached = outcome(
        "logout.reached",
        "logout goes through FranceConnect",
        "La déconnexion du portail passe par l'endpoint session/end de FranceConnect, qui déconnecte aussi du fournisseur d'identité.",
        "Logging out of the portal goes through FranceConnect's session/end, which also logs out of the identity provider.",
    );
    let hint = outcome(
        "logout.id_token_hint",
        "logout sends id_token_hint",
        "session/end reçoit id_token_hint (l'id_token reçu à la connexion) : sans lui FranceConnect ne sait pas quelle session fermer.",
        "session/end gets id_token_hint (the id_token received at login): without it FranceConnect cannot tell which session to close.",
    );
    let state = outcome(
        "logout.state",
        "logout sends state",
        "session/end reçoit un state aléatoire, que le portail vérifie au retour sur post_logout_redirect_uri.",
        "session/end gets a random state, which the portal checks on return to post_logout_redirect_uri.",
    );
    let back = outcome(
        "logout.post_logout_redirect_uri",
        "post_logout_redirect_uri registered",
        "post_logout_redirect_uri est exactement une des URL de déconnexion déclarées.",
        "post_logout_redirect_uri equals one of the registered logout URIs exactly.",
    );
    let all = |why: &str| {
        vec![
            reached.clone().judged(Verdict::Inconclusive, why),
            hint.clone().judged(Verdict::Inconclusive, why),
            state.clone().judged(Verdict::Inconclusive, why),
            back.clone().judged(Verdict::Inconclusive, why),
        ]
    };
    let (Some(mut citizen), Some(page)) = (happy.citizen, happy.end) else {
        return all("the happy path did not end on a portal page");
    };
    if !checker.logged_in(Some(&page)) {
        return all("the happy path did not log in");
    }
    let since = checker.fcmock.now_ms().await.unwrap_or_default();
    match citizen.logout(&page).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return all("no logout link or form on the logged-in page (its text should say « Se déconnecter »)");
        }
        Err(e) => return all(&format!("logout could not be followed: {e}")),
    }
    let exchanges = checker.fcmock.journal(None, since).await.unwrap_or_default();
    let ends: Vec<&Value> = exchanges.iter().filter(|e| at_endpoint(e, "session.end")).collect();
    let Some(end) = ends.first() else {
        let mut out = all("the portal's logout never reached FranceConnect");
        if let Some(first) = out.first_mut() {
            *first = reached.judged(
                Verdict::Fail,
                "the portal logged out locally only: FranceConnect's session/end was never called",
            );
            first.steps = citizen.steps.clone();
        }
        return out;
    };
    let p = exchange_params(end);
    let registered = strings(checker.client.get("post_logout_redirect_uris"));
    vec![
        reached.judged(Verdict::Pass, "session/end called"),
        match param(&p, "id_token_hint") {
            Some(_) => hint.judged(Verdict::Pass, "id_token_hint sent"),
            None => hint.judged(Verdict::Fail, "session/end without id_token_hint"),
        },
        match param(&p, "state") {
            Some(s) if !s.is_empty() => state.judged(Verdict::Pass, "state sent"),
            _ => {
                let mut o = state.judged(Verdict::Fail, "session/end without state");
                o.evidence = vec![format!(
                    "session/end was called with {:?}",
                    p.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()
                )];
                o.exchanges = ends.iter().map(|e| (*e).clone()).collect();
                o
            }
        },
        match param(&p, "post_logout_redirect_uri") {
            Some(u) if registered.iter().any(|r| r == u) => back.judged(Verdict::Pass, format!("{u} is registered")),
            Some(u) => back.judged(Verdict::Fail, format!("{u} is not registered ({registered:?})")),
            None => back.judged(Verdict::Fail, "session/end without post_logout_redirect_uri"),
        },
    ]
}
