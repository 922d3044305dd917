//! The demo portal's pages and its FranceConnect login, handler by handler.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;

use super::pages::{ChildcarePage, DashboardPage, HomePage, LinkPage, MessagePage};
use super::records::{self, Likeness, Pivot};
use super::{DEMO_CLIENT, DemoState, Prefill, Visit, with_cookie};
use crate::agent::RelyingParty;
use crate::config::{LocalAccount, LocalService};
use crate::paths::mock as m;
use crate::web::render;

/// What the portal asks FranceConnect: the pivot identity, the e-mail, and
/// the DGFiP and CNAF data its childcare form needs.
const SCOPES: [&str; 6] = [
    "identite_pivot",
    "email",
    "dgfip_rfr",
    "dgfip_nbpart",
    "cnaf_quotient_familial",
    "cnaf_enfants",
];

/// The password of every local account of the demo.
const LOCAL_PASSWORD: &str = "123";

fn message(status: StatusCode, title: &str, text: &str) -> Response {
    render(
        status,
        &MessagePage {
            title: title.to_owned(),
            text: text.to_owned(),
        },
    )
}

fn go(s: &DemoState, id: &str, v: Visit, new: bool, to: &str) -> Response {
    s.save(id, v);
    with_cookie(Redirect::to(to).into_response(), id, new)
}

pub(super) async fn home(State(s): State<DemoState>, headers: HeaderMap) -> Response {
    let (id, mut v, new) = s.visit(&headers);
    let page = HomePage {
        message: v.message.take().unwrap_or_default(),
        registered: s.config().client(DEMO_CLIENT).is_some(),
        logged_in: !v.accounts.is_empty(),
        name: v.given_name.clone(),
    };
    s.save(&id, v);
    with_cookie(render(StatusCode::OK, &page), &id, new)
}

#[derive(Deserialize)]
pub(super) struct LocalLogin {
    reference: String,
    password: String,
}

pub(super) async fn local_login(State(s): State<DemoState>, headers: HeaderMap, Form(f): Form<LocalLogin>) -> Response {
    let (id, mut v, new) = s.visit(&headers);
    match records::by_reference(&s.config(), &f.reference) {
        Some(a) if f.password == LOCAL_PASSWORD => {
            v.given_name = a.given_name.split_whitespace().next().unwrap_or_default().to_owned();
            v.family_name.clone_from(&a.family_name);
            v.message = Some(format!(
                "Connecté avec votre dossier {} ({}).",
                a.reference,
                records::service_name(a.service)
            ));
            v.accounts = vec![a];
            go(&s, &id, v, new, m::DEMO_DASHBOARD)
        }
        _ => {
            v.message = Some("Référence ou mot de passe inconnus. Les dossiers de démonstration sont ceux des personas (par exemple MED-004512), mot de passe 123.".to_owned());
            go(&s, &id, v, new, m::DEMO)
        }
    }
}

async fn relying_party(s: &DemoState) -> Result<RelyingParty, String> {
    let config = s.config();
    let client = config
        .client(DEMO_CLIENT)
        .ok_or("le portail de démonstration n'est pas inscrit dans la configuration en vigueur")?;
    RelyingParty::discover(s.issuer(), DEMO_CLIENT, &client.client_secret, &s.url(m::DEMO_CALLBACK))
        .await
        .map_err(|e| e.to_string())
}

pub(super) async fn franceconnect(State(s): State<DemoState>, headers: HeaderMap) -> Response {
    let (id, mut v, new) = s.visit(&headers);
    let rp = match relying_party(&s).await {
        Ok(rp) => rp,
        Err(e) => return message(StatusCode::SERVICE_UNAVAILABLE, "FranceConnect indisponible", &e),
    };
    let (state, nonce) = (s.rng.token(), s.rng.token());
    let (url, _, _) = rp.authorize_url(&SCOPES, "eidas1", &state, &nonce, &[]);
    v.pending = Some((state, nonce));
    go(&s, &id, v, new, &url)
}

/// Redeems the code and reads userinfo, both checked by the relying party.
async fn fc_login(s: &DemoState, code: &str, nonce: &str) -> Result<(Value, String, String, String), String> {
    let rp = relying_party(s).await?;
    let result = rp.redeem(code, nonce).await.map_err(|e| e.to_string())?;
    let sub = result.claims.subject().to_string();
    let access = result.access_token();
    let info = rp.userinfo(&access).await.map_err(|e| e.to_string())?;
    let claims = rp
        .verify_userinfo(&info, &sub, s.clock.now_ms() / 1000)
        .await
        .map_err(|e| e.to_string())?;
    Ok((claims, sub, result.raw_id_token, access))
}

/// The DGFiP and CNAF data the citizen agreed to share, asked right away
/// (FranceConnect's access tokens live 60 seconds).
async fn prefill(s: &DemoState, access: &str) -> Option<Prefill> {
    let ask = |path: &'static str| async move {
        let resp = s
            .http
            .get(format!("{}{path}", s.urls.internal))
            .bearer_auth(access)
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        resp.json::<Value>().await.ok()
    };
    let tax = ask("/dp/dgfip/situations/ir/assiettes/annrev/2025").await;
    let caf = ask("/dp/cnaf/quotient-familial").await;
    if tax.is_none() && caf.is_none() {
        return None;
    }
    let text = |v: &Option<Value>, k: &str| {
        v.as_ref()
            .and_then(|v| v.get(k))
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .unwrap_or_default()
    };
    let children = caf
        .as_ref()
        .and_then(|c| c.get("enfants"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    Some(Prefill {
        rfr: text(&tax, "rfr"),
        parts: text(&tax, "nbPart"),
        quotient: text(&caf, "quotientFamilial"),
        children: if children == 0 {
            String::new()
        } else {
            children.to_string()
        },
    })
}

pub(super) async fn callback(
    State(s): State<DemoState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (id, mut v, new) = s.visit(&headers);
    let Some((state, nonce)) = v.pending.take() else {
        return message(
            StatusCode::BAD_REQUEST,
            "Aucune connexion en cours",
            "Ce retour ne correspond à aucune connexion commencée dans ce navigateur.",
        );
    };
    if q.get("state") != Some(&state) {
        s.save(&id, v);
        return message(
            StatusCode::BAD_REQUEST,
            "Retour refusé",
            "Le paramètre state ne correspond pas à la connexion commencée dans ce navigateur (protection contre la falsification de requête).",
        );
    }
    if let Some(e) = q.get("error") {
        v.message = Some(format!("La connexion FranceConnect a été interrompue ({e})."));
        return go(&s, &id, v, new, m::DEMO);
    }
    let Some(code) = q.get("code") else {
        return message(
            StatusCode::BAD_REQUEST,
            "Retour incomplet",
            "FranceConnect n'a renvoyé ni code ni erreur.",
        );
    };
    let (claims, sub, id_token, access) = match fc_login(&s, code, &nonce).await {
        Ok(x) => x,
        Err(e) => {
            s.save(&id, v);
            // Explained to the citizen, not a server error of the portal.
            return message(StatusCode::OK, "La connexion n'a pas abouti", &e);
        }
    };
    let pivot = Pivot::of(&claims);
    v.given_name = pivot
        .given_name
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    v.given_names.clone_from(&pivot.given_name);
    v.family_name.clone_from(&pivot.family_name);
    v.birthdate.clone_from(&pivot.birthdate);
    v.email = claims.get("email").and_then(Value::as_str).map(str::to_owned);
    v.sub = Some(sub.clone());
    v.id_token = Some(id_token);
    v.prefill = prefill(&s, &access).await;
    let to = welcome(&s, &mut v, &sub, &pivot);
    go(&s, &id, v, new, to)
}

/// Where a citizen just back from FranceConnect goes, and why.
fn welcome(s: &DemoState, v: &mut Visit, sub: &str, pivot: &Pivot) -> &'static str {
    if !v.accounts.is_empty() {
        // Logged in with a local account first: the citizen proved both.
        s.link(sub, v.accounts.clone());
        v.message = Some(
            "Votre dossier est maintenant lié à FranceConnect : la prochaine fois, FranceConnect suffira.".to_owned(),
        );
        return m::DEMO_DASHBOARD;
    }
    if let Some(accounts) = s.linked(sub) {
        v.accounts = accounts;
        v.message = Some("Bon retour : FranceConnect vous a reconnu (même sub).".to_owned());
        return m::DEMO_DASHBOARD;
    }
    let found = records::search(&s.config(), pivot);
    if found.is_empty() {
        create(s, v, sub);
        return m::DEMO_DASHBOARD;
    }
    for f in found {
        match f.likeness {
            Likeness::Match => v.proposals.push((f.account, f.why)),
            Likeness::Near => v.near.push((f.account, f.why)),
        }
    }
    m::DEMO_LINK
}

/// A new compte usager from the pivot identity of the visit's login.
fn create(s: &DemoState, v: &mut Visit, sub: &str) {
    let account = LocalAccount {
        service: LocalService::CompteUsager,
        reference: format!("CU-FC-{}", s.rng.hex(6).to_uppercase()),
        given_name: v.given_names.clone(),
        family_name: v.family_name.clone(),
        birthdate: Some(v.birthdate.clone()),
        email: v.email.clone(),
        note: Some("créé à partir de l'identité FranceConnect".to_owned()),
    };
    s.link(sub, vec![account.clone()]);
    v.accounts = vec![account];
    v.message = Some("Votre compte usager a été créé à partir de votre identité FranceConnect.".to_owned());
}

pub(super) async fn link_page(State(s): State<DemoState>, headers: HeaderMap) -> Response {
    let (_, v, _) = s.visit(&headers);
    if v.sub.is_none() || (v.proposals.is_empty() && v.near.is_empty()) {
        return Redirect::to(m::DEMO).into_response();
    }
    render(StatusCode::OK, &LinkPage::of(&v))
}

pub(super) async fn link(
    State(s): State<DemoState>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (id, mut v, new) = s.visit(&headers);
    let Some(sub) = v.sub.clone() else {
        return Redirect::to(m::DEMO).into_response();
    };
    let chosen: Vec<LocalAccount> = v
        .proposals
        .iter()
        .filter(|(a, _)| fields.iter().any(|(k, r)| k == "ref" && *r == a.reference))
        .map(|(a, _)| a.clone())
        .collect();
    let create_new = fields.iter().any(|(k, a)| k == "action" && a == "create") || chosen.is_empty();
    v.proposals.clear();
    v.near.clear();
    if create_new {
        create(&s, &mut v, &sub);
    } else {
        let names: Vec<String> = chosen.iter().map(|a| a.reference.clone()).collect();
        s.link(&sub, chosen.clone());
        v.accounts = chosen;
        v.message = Some(format!(
            "Comptes rattachés à votre identité FranceConnect : {}.",
            names.join(", ")
        ));
    }
    go(&s, &id, v, new, m::DEMO_DASHBOARD)
}

pub(super) async fn dashboard(State(s): State<DemoState>, headers: HeaderMap) -> Response {
    let (id, mut v, new) = s.visit(&headers);
    if v.accounts.is_empty() {
        return with_cookie(Redirect::to(m::DEMO).into_response(), &id, new);
    }
    let page = DashboardPage::of(&mut v);
    s.save(&id, v);
    render(StatusCode::OK, &page)
}

pub(super) async fn childcare(State(s): State<DemoState>, headers: HeaderMap) -> Response {
    let (_, v, _) = s.visit(&headers);
    if v.accounts.is_empty() {
        return Redirect::to(m::DEMO).into_response();
    }
    render(StatusCode::OK, &ChildcarePage::of(&v))
}

pub(super) async fn childcare_sent(State(s): State<DemoState>, headers: HeaderMap) -> Response {
    let (id, mut v, new) = s.visit(&headers);
    v.message =
        Some("Votre demande de place en crèche est enregistrée (démonstration : rien n'est envoyé).".to_owned());
    go(&s, &id, v, new, m::DEMO_DASHBOARD)
}

pub(super) async fn logout(State(s): State<DemoState>, headers: HeaderMap) -> Response {
    let (id, v, new) = s.visit(&headers);
    let Some(hint) = v.id_token else {
        return go(&s, &id, Visit::default(), new, m::DEMO_LOGGED_OUT);
    };
    let Ok(mut url) = url::Url::parse(&format!("{}{}", s.issuer(), crate::paths::platform::SESSION_END)) else {
        return go(&s, &id, Visit::default(), new, m::DEMO_LOGGED_OUT);
    };
    url.query_pairs_mut()
        .append_pair("id_token_hint", &hint)
        .append_pair("state", &s.rng.token())
        .append_pair("post_logout_redirect_uri", &s.url(m::DEMO_LOGGED_OUT));
    go(&s, &id, Visit::default(), new, url.as_str())
}

pub(super) async fn logged_out() -> Response {
    message(
        StatusCode::OK,
        "Vous êtes déconnecté",
        "Vous êtes déconnecté du portail de la Métropole et de FranceConnect.",
    )
}
