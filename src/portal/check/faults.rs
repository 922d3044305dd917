//! One fault per login: what the portal must refuse, and how it must
//! behave when FranceConnect or the citizen says no. Each check loads a
//! scenario bound to the portal's client for one login, then removes it.

use super::{Checker, Flow, param};
use crate::oidc::rejection::Rejection;
use crate::portal::drive::{AtFcmock, FcmockEnd};
use crate::portal::report::{Outcome, Verdict};
use crate::scenarios::catalogue::{TOKEN_FAULTS, TokenFaultCase, TokenTarget};

/// What a careful portal does about a refused token, in French.
fn rule_fr(r: Rejection) -> &'static str {
    match r {
        Rejection::BadSignature => {
            "refuser : la signature ne se vérifie pas avec les clés publiées (jwks_uri) de FranceConnect"
        }
        Rejection::Unsigned => "refuser : le jeton n'est pas signé (alg none, ou JSON brut au lieu d'un JWT)",
        Rejection::UnknownKey => "refuser : le kid n'est pas publié ; recharger le JWKS une fois, puis refuser",
        Rejection::WrongIssuer => "refuser : iss n'est pas l'émetteur découvert",
        Rejection::WrongAudience => "refuser : aud n'est pas exactement le client_id du fournisseur de service",
        Rejection::WrongNonce => "refuser : le nonce diffère de celui envoyé à l'authorize, ou manque",
        Rejection::Expired => "refuser : exp est dépassé",
        Rejection::IssuedInFuture => "refuser : iat est dans le futur",
        Rejection::MissingClaim => "refuser : une revendication obligatoire manque",
        Rejection::SubjectMismatch => "refuser : le sub du userinfo diffère de celui de l'id_token",
        Rejection::Malformed => "refuser : jeton mal formé",
    }
}

fn check(id: &str, title: &str, group: &str, fr: &str, en: &str) -> Outcome {
    let mut o = Outcome::new(id, title, group);
    o.rule_fr = fr.to_owned();
    o.rule_en = en.to_owned();
    o
}

/// Every check of this file, in order.
pub(super) async fn all(checker: &Checker<'_>, asked: &[(String, String)]) -> Vec<Outcome> {
    let mut out = Vec::new();
    for case in &TOKEN_FAULTS {
        out.push(token_fault(checker, case).await);
    }
    out.push(acr_downgrade(checker, asked).await);
    out.push(amr_missing(checker, asked).await);
    out.push(userinfo_after_refusal(checker).await);
    out.push(login_csrf(checker).await);
    out.push(replayed_callback(checker).await);
    out.push(access_denied(checker).await);
    out.push(server_error_at_callback(checker).await);
    out.push(token_unavailable(checker).await);
    out.push(key_rotation(checker).await);
    out
}

fn finish(mut o: Outcome, flow: &Flow) -> Outcome {
    o.millis = flow.started.elapsed().as_millis() as u64;
    o.steps = flow.steps();
    if o.verdict == Verdict::Fail {
        o.exchanges = flow.exchanges.clone();
    }
    o
}

/// A spoiled token must not log the citizen in.
async fn refused(checker: &Checker<'_>, o: Outcome, faults: &str, needs: &str) -> Outcome {
    let (o, flow) = match faulted(checker, o, faults).await {
        Ok(x) => x,
        Err(o) => return o,
    };
    let judged = if checker.logged_in(flow.end.as_ref()) {
        let mut o = o.judged(
            Verdict::Fail,
            "the portal accepted the spoiled token and logged the citizen in",
        );
        o.evidence = checker.login_evidence(flow.end.as_ref());
        o
    } else if flow.calls(needs).is_empty() {
        let why = flow
            .broke
            .clone()
            .unwrap_or_else(|| format!("the portal never called {needs}, where the fault was"));
        o.judged(Verdict::Inconclusive, why)
    } else {
        let end = flow
            .end
            .as_ref()
            .map_or_else(String::new, |p| format!(": it showed {} (status {})", p.url, p.status));
        o.judged(Verdict::Pass, format!("refused{end}"))
    };
    finish(judged, &flow)
}

async fn token_fault(checker: &Checker<'_>, case: &TokenFaultCase) -> Outcome {
    let (what, needs) = match case.target {
        TokenTarget::IdToken => ("id_token", "token"),
        TokenTarget::Userinfo => ("userinfo", "userinfo"),
    };
    let o = check(
        case.id,
        &format!("{what} {} refused", case.fault),
        "token faults",
        rule_fr(case.rejection),
        case.rejection.explain(),
    );
    let (at, key) = match case.target {
        TokenTarget::IdToken => ("fc.token", "id_token"),
        TokenTarget::Userinfo => ("fc.userinfo", "userinfo"),
    };
    let faults = format!("  - at: {at}\n    {key}: {}\n", case.fault);
    refused(checker, o, &faults, needs).await
}

/// One login with `faults` (scenario-file text) in force for the portal's
/// client; an INCONCLUSIVE `o` when they cannot be put in force.
async fn faulted(checker: &Checker<'_>, o: Outcome, faults: &str) -> Result<(Outcome, Flow), Outcome> {
    let yaml = scenario(checker, &o.id, faults);
    match checker.with_scenario(&yaml, &checker.login()).await {
        Ok(f) => Ok((o, f)),
        Err(e) => Err(o.judged(
            Verdict::Inconclusive,
            format!("the fault could not be put in force: {e}"),
        )),
    }
}

/// A scenario bound to the portal's client; faults written `at: fc.…` go to
/// FranceConnect+'s endpoints when the client is a FranceConnect+ one.
fn scenario(checker: &Checker<'_>, name: &str, faults: &str) -> String {
    let text = format!(
        "name: {name}\nclients: [\"{}\"]\nfaults:\n{faults}",
        checker.target.client_id
    );
    if checker.fcplus {
        text.replace("at: fc.", "at: fcplus.")
    } else {
        text
    }
}

async fn acr_downgrade(checker: &Checker<'_>, asked: &[(String, String)]) -> Outcome {
    let o = check(
        "id_token.acr_downgrade",
        "an acr lower than asked refused",
        "token faults",
        "refuser : l'acr de l'id_token est inférieur au niveau demandé dans acr_values",
        "refuse: the id_token's acr is lower than the level asked in acr_values",
    );
    let acr = param(asked, "acr_values").unwrap_or_default();
    if !acr.split(' ').any(|l| l == "eidas2" || l == "eidas3") {
        return o.judged(
            Verdict::Inconclusive,
            "the portal asks eidas1, and nothing is lower (FranceConnect v2 always answers eidas1)",
        );
    }
    let faults = "  - at: fc.token\n    id_token: { set: { acr: eidas1 } }\n";
    refused(checker, o, faults, "token").await
}

async fn amr_missing(checker: &Checker<'_>, asked: &[(String, String)]) -> Outcome {
    let o = check(
        "id_token.amr_missing",
        "amr missing where the portal asked for it refused",
        "token faults",
        "refuser : le portail a demandé amr comme essentiel (claims) et l'id_token n'en porte pas",
        "refuse: the portal asked amr as essential (claims) and the id_token has none",
    );
    if !param(asked, "claims").is_some_and(|c| c.contains("amr")) {
        return o.judged(
            Verdict::Inconclusive,
            "the portal does not ask for amr (claims parameter)",
        );
    }
    let faults = "  - at: fc.token\n    id_token: { drop: [amr] }\n";
    refused(checker, o, faults, "token").await
}

async fn userinfo_after_refusal(checker: &Checker<'_>) -> Outcome {
    let o = check(
        "userinfo.not_after_refused_id_token",
        "no userinfo call after a refused id_token",
        "token faults",
        "Vérifier l'id_token avant tout usage du jeton d'accès : un id_token refusé arrête la connexion, sans appel au userinfo.",
        "Check the id_token before using the access token: a refused id_token ends the login, without a userinfo call.",
    );
    let faults = "  - at: fc.token\n    id_token: { expired: true }\n";
    let (o, flow) = match faulted(checker, o, faults).await {
        Ok(x) => x,
        Err(o) => return o,
    };
    let judged = if checker.logged_in(flow.end.as_ref()) {
        o.judged(
            Verdict::Inconclusive,
            "the portal accepted an expired id_token (see id_token.expired)",
        )
    } else if !flow.calls("userinfo").is_empty() {
        let mut o = o.judged(
            Verdict::Fail,
            "the portal called userinfo with the access token of an expired id_token",
        );
        o.evidence = vec![format!(
            "userinfo was called {} time(s) after the token response carried an expired id_token",
            flow.calls("userinfo").len()
        )];
        o
    } else if flow.calls("token").is_empty() {
        o.judged(Verdict::Inconclusive, "the portal never redeemed the code")
    } else {
        o.judged(
            Verdict::Pass,
            "the expired id_token was refused before any userinfo call",
        )
    };
    finish(judged, &flow)
}

/// The callback URL (code and state) of a login that another browser made.
async fn foreign_callback(checker: &Checker<'_>) -> Result<(Flow, String), String> {
    let mut flow = Flow::empty();
    let mut citizen = checker.citizen().map_err(|e| e.to_string())?;
    let authorize = citizen
        .to_authorize(&checker.target.start_url())
        .await
        .map_err(|e| e.to_string())?;
    let back = citizen
        .at_fcmock(&authorize, &checker.login())
        .await
        .map_err(|e| e.to_string())?;
    flow.citizen = Some(citizen);
    match back {
        FcmockEnd::Back(url) => Ok((flow, url)),
        FcmockEnd::ErrorPage(p) => Err(format!("fcmock showed an error page at {}", p.url)),
    }
}

async fn login_csrf(checker: &Checker<'_>) -> Outcome {
    let o = check(
        "callback.foreign_state",
        "a callback with a state this browser never got is refused (login CSRF)",
        "callback",
        "Au retour, le portail compare state à celui qu'il a mis dans la session de ce navigateur, et refuse sinon (sans échanger le code).",
        "On return, the portal compares state with the one it stored in this browser's session, and refuses otherwise (without redeeming the code).",
    );
    let (mut flow, callback) = match foreign_callback(checker).await {
        Ok(x) => x,
        Err(e) => return o.judged(Verdict::Inconclusive, e),
    };
    // The victim's browser: it has started a login of its own at the portal.
    let mut victim = match checker.citizen() {
        Ok(c) => c,
        Err(e) => return o.judged(Verdict::Inconclusive, e.to_string()),
    };
    let since = checker.fcmock.now_ms().await.unwrap_or_default();
    if let Err(e) = victim.to_authorize(&checker.target.start_url()).await {
        return o.judged(Verdict::Inconclusive, e.to_string());
    }
    let end = victim.on_portal(&callback).await.ok();
    flow.exchanges = checker
        .fcmock
        .journal(Some(&checker.target.client_id), since)
        .await
        .unwrap_or_default();
    let judged = if checker.logged_in(end.as_ref()) {
        let mut o = o.judged(
            Verdict::Fail,
            "the portal logged in a browser that brought another browser's code and state",
        );
        o.evidence = checker.login_evidence(end.as_ref());
        o
    } else if end.as_ref().is_some_and(|p| p.status >= 500) {
        o.judged(
            Verdict::Fail,
            "the portal answered with a server error instead of a refusal",
        )
    } else {
        o.judged(Verdict::Pass, "refused")
    };
    finish(judged, &flow)
}

async fn replayed_callback(checker: &Checker<'_>) -> Outcome {
    let o = check(
        "callback.replayed",
        "a callback replayed in another browser does not log in twice",
        "callback",
        "Un code d'autorisation ne sert qu'une fois, et un retour déjà traité (même state) ne connecte personne d'autre.",
        "An authorization code serves once, and a callback already handled (same state) logs no one else in.",
    );
    let (mut flow, callback) = match foreign_callback(checker).await {
        Ok(x) => x,
        Err(e) => return o.judged(Verdict::Inconclusive, e),
    };
    let first = match flow.citizen.as_mut() {
        Some(c) => c.on_portal(&callback).await.ok(),
        None => None,
    };
    if !checker.logged_in(first.as_ref()) {
        return o.judged(Verdict::Inconclusive, "the first use of the callback did not log in");
    }
    let since = checker.fcmock.now_ms().await.unwrap_or_default();
    let mut other = match checker.citizen() {
        Ok(c) => c,
        Err(e) => return o.judged(Verdict::Inconclusive, e.to_string()),
    };
    let _ = other.to_authorize(&checker.target.start_url()).await;
    let end = other.on_portal(&callback).await.ok();
    flow.exchanges = checker
        .fcmock
        .journal(Some(&checker.target.client_id), since)
        .await
        .unwrap_or_default();
    let judged = if checker.logged_in(end.as_ref()) {
        let mut o = o.judged(Verdict::Fail, "the replayed callback logged a second browser in");
        o.evidence = checker.login_evidence(end.as_ref());
        o
    } else {
        let again = flow.calls("token").len();
        let note = if again > 0 {
            " (it redeemed the code again: fcmock refused it)"
        } else {
            ""
        };
        o.judged(Verdict::Pass, format!("refused{note}"))
    };
    finish(judged, &flow)
}

async fn not_logged_in_nor_5xx(checker: &Checker<'_>, o: Outcome, flow: &Flow, what: &str) -> Outcome {
    let _ = checker;
    match flow.end.as_ref() {
        _ if checker.logged_in(flow.end.as_ref()) => {
            let mut o = o.judged(Verdict::Fail, format!("the portal logged the citizen in after {what}"));
            o.evidence = checker.login_evidence(flow.end.as_ref());
            o
        }
        Some(p) if p.status >= 500 => {
            let mut o = o.judged(Verdict::Fail, format!("the portal answered {} after {what}", p.status));
            o.evidence = vec![format!("{} answered {}", p.url, p.status)];
            o
        }
        Some(p) => o.judged(Verdict::Pass, format!("handled: {} (status {})", p.url, p.status)),
        None => o.judged(
            Verdict::Inconclusive,
            flow.broke
                .clone()
                .unwrap_or_else(|| "the portal's answer could not be read".to_owned()),
        ),
    }
}

async fn access_denied(checker: &Checker<'_>) -> Outcome {
    let o = check(
        "callback.access_denied",
        "the citizen going back (error=access_denied) is handled",
        "callback",
        "Au retour avec error=access_denied, le portail affiche un message et propose de réessayer ; pas d'erreur serveur.",
        "On return with error=access_denied, the portal shows a message and offers to try again; no server error.",
    );
    let flow = checker.flow(&AtFcmock::CancelAtWall).await;
    let judged = not_logged_in_nor_5xx(checker, o, &flow, "error=access_denied").await;
    finish(judged, &flow)
}

async fn server_error_at_callback(checker: &Checker<'_>) -> Outcome {
    let o = check(
        "callback.server_error",
        "error=server_error at the callback is handled",
        "callback",
        "Une erreur renvoyée au callback (error=server_error) est montrée au citoyen, sans erreur serveur du portail.",
        "An error returned at the callback (error=server_error) is shown to the citizen, without a server error of the portal.",
    );
    let mut flow = Flow::empty();
    let mut citizen = match checker.citizen() {
        Ok(c) => c,
        Err(e) => return o.judged(Verdict::Inconclusive, e.to_string()),
    };
    let authorize = match citizen.to_authorize(&checker.target.start_url()).await {
        Ok(a) => a,
        Err(e) => return o.judged(Verdict::Inconclusive, e.to_string()),
    };
    flow.authorize = Some(authorize);
    let asked = flow.authorize_params();
    let (Some(redirect), Some(state)) = (param(&asked, "redirect_uri"), param(&asked, "state")) else {
        return o.judged(
            Verdict::Inconclusive,
            "the authorize request lacks redirect_uri or state",
        );
    };
    let Ok(mut url) = url::Url::parse(redirect) else {
        return o.judged(Verdict::Inconclusive, format!("redirect_uri `{redirect}` is not a URL"));
    };
    url.query_pairs_mut()
        .append_pair("error", "server_error")
        .append_pair("error_description", "fcmock check: an error at the callback")
        .append_pair("state", state);
    flow.end = citizen.on_portal(url.as_str()).await.ok();
    flow.citizen = Some(citizen);
    let judged = not_logged_in_nor_5xx(checker, o, &flow, "error=server_error").await;
    finish(judged, &flow)
}

async fn token_unavailable(checker: &Checker<'_>) -> Outcome {
    let o = check(
        "token.unavailable",
        "FranceConnect's token endpoint answering 503 is handled",
        "platform faults",
        "Si le token endpoint de FranceConnect répond 5xx, le portail l'explique au citoyen (sans erreur serveur) et ne le connecte pas.",
        "If FranceConnect's token endpoint answers 5xx, the portal explains it (without a server error) and does not log in.",
    );
    let faults = "  - at: fc.token\n    status: 503\n    body: Service Unavailable\n";
    let (o, flow) = match faulted(checker, o, faults).await {
        Ok(x) => x,
        Err(o) => return o,
    };
    let judged = not_logged_in_nor_5xx(checker, o, &flow, "a 503 from the token endpoint").await;
    finish(judged, &flow)
}

async fn key_rotation(checker: &Checker<'_>) -> Outcome {
    let o = check(
        "keys.rotation",
        "a login still works after FranceConnect rotates its keys",
        "platform faults",
        "Quand l'id_token porte un kid inconnu, le portail recharge le JWKS de FranceConnect (une fois) au lieu de refuser toute connexion.",
        "When the id_token names an unknown kid, the portal fetches FranceConnect's JWKS again (once) instead of refusing every login.",
    );
    if let Err(e) = checker.fcmock.rotate_keys().await {
        return o.judged(Verdict::Inconclusive, format!("the keys could not be rotated: {e}"));
    }
    let flow = checker.flow(&checker.login()).await;
    let judged = if checker.logged_in(flow.end.as_ref()) {
        o.judged(Verdict::Pass, "logged in with the new key")
    } else {
        let mut o = o.judged(Verdict::Fail, "after the rotation the portal no longer logs anyone in");
        o.evidence = vec![
            "the id_token was signed by a key published in the JWKS since the rotation; the portal kept its old copy"
                .to_owned(),
        ];
        o
    };
    finish(judged, &flow)
}
