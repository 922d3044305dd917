//! The identity provider's login page: the credential form in the
//! provider's style, and its test accounts, searched and paged so that the
//! page stays small and usable with 100,000 personas.

use super::*;

/// Test accounts shown per page (the default bundle fits on one).
pub(super) const PAGE_SIZE: usize = 50;

pub(super) fn credential_labels(style: CredentialStyle) -> (&'static str, &'static str, &'static str) {
    match style {
        CredentialStyle::FiscalNumber => (
            "Numéro fiscal",
            "13 chiffres, en haut de votre dernière déclaration de revenus",
            "Mot de passe",
        ),
        CredentialStyle::Nir => (
            "Numéro de sécurité sociale",
            "15 chiffres, sur votre carte Vitale",
            "Mot de passe",
        ),
        CredentialStyle::Email => (
            "Adresse électronique",
            "celle de votre Identité Numérique",
            "Mot de passe",
        ),
        CredentialStyle::Pin => (
            "Adresse électronique",
            "celle de votre application France Identité",
            "Code secret (4 chiffres)",
        ),
        CredentialStyle::Login => ("Identifiant", "", "Mot de passe"),
    }
}

pub(super) fn accounts_of<'a>(
    cfg: &'a crate::config::Config,
    idp: &str,
) -> impl Iterator<Item = (&'a Arc<Persona>, &'a crate::config::Account)> {
    let idp = idp.to_owned();
    cfg.personas.iter().filter_map(move |p| p.account(&idp).map(|a| (p, a)))
}

/// Which test accounts to list: a search and a page.
#[derive(Debug, Default)]
pub(super) struct Listing {
    q: String,
    /// 1-based.
    page: Option<usize>,
}

/// Tags that say nothing about what a persona is for.
const PLAIN_TAGS: [&str; 5] = ["adulte", "ne-en-france", "defaut", "deux-prenoms", "foyer-fiscal"];

/// What a persona is for, in a few words: its first notable tags.
fn purpose(p: &Persona) -> String {
    p.tags
        .iter()
        .filter(|t| !PLAIN_TAGS.contains(&t.as_str()))
        .take(3)
        .map(|t| t.replace('-', " "))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Lower case without accents, for searching.
fn folded(s: &str) -> String {
    deunicode::deunicode(s).to_lowercase()
}

/// Whether an account matches every word of the search, in its name,
/// login, persona id or tags.
fn matches(words: &[String], persona: &Persona, account: &crate::config::Account) -> bool {
    if words.is_empty() {
        return true;
    }
    let hay = folded(&format!(
        "{} {} {} {} {}",
        account.identity.given_name,
        account.identity.family_name,
        account.login,
        persona.id,
        persona.tags.join(" ")
    ));
    words.iter().all(|w| hay.contains(w.as_str()))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn login_page(
    state: &IdpState,
    rt: &IdpRuntime,
    uid: &str,
    inter: &IdpInteraction,
    error: Option<&str>,
    login_value: String,
    listing: &Listing,
) -> Response {
    let (login_label, login_hint, password_label) = credential_labels(rt.config.credential);
    let cfg = state.config();
    let words: Vec<String> = folded(&listing.q).split_whitespace().map(str::to_owned).collect();
    let mut total = 0;
    let mut matching = 0;
    let page = listing.page.unwrap_or(1).max(1);
    let skip = (page - 1).saturating_mul(PAGE_SIZE);
    let mut personas = Vec::new();
    for (p, a) in accounts_of(&cfg, &rt.config.id) {
        total += 1;
        if !matches(&words, p, a) {
            continue;
        }
        matching += 1;
        if matching > skip && personas.len() < PAGE_SIZE {
            let label = format!("{} {}", a.identity.given_name, a.identity.family_name.to_uppercase());
            personas.push((p.id.clone(), a.login.clone(), a.password.clone(), label, purpose(p)));
        }
    }
    let acr_default = inter
        .acr_requested
        .clone()
        .filter(|a| rt.config.acr.contains(a))
        .or_else(|| rt.config.acr.first().cloned())
        .unwrap_or_else(|| "eidas1".to_owned());
    let iss = issuer(state, &rt.config.id);
    let search_action = format!("{iss}{}", ip::LOGIN);
    let page_url = |n: usize| {
        with_query(
            &search_action,
            &[
                ("interaction", uid),
                ("q", listing.q.as_str()),
                ("page", &n.to_string()),
            ],
        )
    };
    let shown_from = if personas.is_empty() { 0 } else { skip + 1 };
    render(
        if error.is_some() {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        },
        &IdpLoginPage {
            idp_name: &rt.config.name,
            action: format!("{iss}{}", ip::LOGIN),
            interaction: uid,
            login_label,
            login_hint,
            password_label,
            login_value,
            acr_choices: rt.config.acr.clone(),
            acr_default,
            personas,
            searchable: total > PAGE_SIZE || !words.is_empty(),
            query: listing.q.clone(),
            total,
            matching,
            shown_from,
            shown_to: (skip + PAGE_SIZE).min(matching),
            prev_url: (page > 1).then(|| page_url(page - 1)),
            next_url: (skip + PAGE_SIZE < matching).then(|| page_url(page + 1)),
            cancel_url: format!("{iss}{}?interaction={uid}", ip::CANCEL),
            error,
        },
    )
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct SearchQuery {
    interaction: String,
    #[serde(default)]
    q: String,
    page: Option<usize>,
}

/// `GET /idp/{id}/login?interaction=…&q=…&page=…`: the login page of a
/// live interaction, its test accounts searched and paged.
pub(super) async fn search(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, IdpError> {
    let rt = runtime(&state, &id)?;
    let Ok(axum::extract::Query(q)) = query else {
        return Err(IdpError::page(
            StatusCode::BAD_REQUEST,
            "Recherche incomplète : il faut `interaction` (et, au choix, `q` et `page`, un nombre à partir de 1).",
        ));
    };
    let Some(inter) = rt.interactions.get(&q.interaction, state.clock.now_ms()) else {
        return Err(IdpError::page(
            StatusCode::BAD_REQUEST,
            "Cette page de connexion a expiré. Recommencez depuis le service.",
        ));
    };
    Ok(login_page(
        &state,
        &rt,
        &q.interaction,
        &inter,
        None,
        inter.login_hint.clone().unwrap_or_default(),
        &Listing { q: q.q, page: q.page },
    ))
}
