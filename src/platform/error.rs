//! The platform's error surfaces.
//!
//! FranceConnect answers a bad request in one of three ways, and the choice
//! is made here only:
//! - an HTML error page with a `Y…` code when it cannot (or must not) send
//!   the user back to the service provider: before `client_id` and
//!   `redirect_uri` are known to be valid, and for most mid-journey failures;
//! - a redirect to the service provider's `redirect_uri` with `error`,
//!   `error_description`, `state` and `iss`, once the client and its redirect
//!   URI are trusted;
//! - a JSON body with `error`, `error_description` and `error_uri` on the
//!   back channel (token, userinfo, revocation).
//!
//! Pages carry FranceConnect's short French message plus fcmock's own
//! explanation of what exactly was wrong, which the real platform lacks.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};

use crate::journal::ErrorCode;
use crate::oidc::form::with_query;
use crate::web::{ErrorPage, render};

/// The partner documentation page FranceConnect points `error_uri` at.
const ERROR_DOC: &str = "https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-erreurs/";

/// A platform error towards the browser.
#[derive(Debug)]
pub enum HubError {
    /// Rendered as FranceConnect's error page.
    Page(PageError),
    /// Sent back to the service provider's redirect URI.
    Redirect(RedirectError),
}

/// An error page.
#[derive(Debug)]
pub struct PageError {
    pub code: &'static str,
    pub status: StatusCode,
    pub message: &'static str,
    /// fcmock's explanation: which parameter, what was expected.
    pub detail: String,
    /// (service provider name, URL) for the "back" link.
    pub back: Option<(String, String)>,
}

/// An error redirected to the service provider.
#[derive(Debug)]
pub struct RedirectError {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub iss: String,
    pub error: &'static str,
    pub description: String,
    /// The parameters go in the URL fragment, not the query: what
    /// node-oidc-provider does for a response_type that would have answered
    /// in the fragment (`id_token`, `code token`…).
    pub in_fragment: bool,
}

/// Status and user message of each page code. Statuses follow FranceConnect's
/// error list (back/_doc/erreurs.md); messages, its BDD suite where it asserts
/// them.
fn catalogue(code: &str) -> (StatusCode, &'static str) {
    use StatusCode as S;
    match code {
        // Wording asserted by FranceConnect's BDD suite (PROTOCOL.md, 2026-11 audit).
        "Y030007" | "Y040001" => (
            S::BAD_REQUEST,
            "Une erreur technique est survenue, fermez l'onglet de votre navigateur et reconnectez-vous.",
        ),
        "Y04EA6EF" | "Y04C013C" => (
            S::BAD_REQUEST,
            "Une erreur de communication avec le fournisseur de service est survenue. Veuillez réessayer ultérieurement.",
        ),
        "Y100009" => (
            S::BAD_REQUEST,
            "Ce service n'est pas autorisé à demander la méthode d'authentification utilisée.",
        ),
        "Y010004" => (
            S::FORBIDDEN,
            "Votre identité n'a pas pu être vérifiée : elle ne correspond qu'approximativement au répertoire de l'INSEE.",
        ),
        "Y010007" => (
            S::FORBIDDEN,
            "Votre identité n'a pas pu être vérifiée : elle n'est connue du répertoire de l'INSEE que sous votre nom d'usage.",
        ),
        "Y010011" | "Y010012" => (
            S::INTERNAL_SERVER_ERROR,
            "Le service de vérification d'identité est momentanément indisponible. Veuillez réessayer ultérieurement.",
        ),
        "Y010006" => (
            S::FORBIDDEN,
            "Votre identité n'a pas pu être vérifiée : plusieurs personnes correspondent dans le répertoire de l'INSEE.",
        ),
        "Y010008" => (
            S::FORBIDDEN,
            "Votre identité n'a pas pu être vérifiée : elle est introuvable dans le répertoire de l'INSEE.",
        ),
        "Y010015" => (
            S::FORBIDDEN,
            "Votre identité n'a pas pu être vérifiée : la personne est déclarée décédée.",
        ),
        "Y020017" => (
            S::INTERNAL_SERVER_ERROR,
            "Ce fournisseur d'identité est momentanément indisponible.",
        ),
        "Y020019" => (S::INTERNAL_SERVER_ERROR, "Ce fournisseur d'identité n'existe pas."),
        "Y020021" => (
            S::BAD_REQUEST,
            "La réponse du fournisseur d'identité est incomplète (state manquant).",
        ),
        "Y020022" => (
            S::FORBIDDEN,
            "La réponse du fournisseur d'identité ne correspond pas à votre demande (state invalide).",
        ),
        "Y020023" => (
            S::FORBIDDEN,
            "Ce fournisseur d'identité n'est pas disponible pour ce service.",
        ),
        "Y020025" => (
            S::BAD_REQUEST,
            "La réponse du fournisseur d'identité est incomplète (code manquant).",
        ),
        "Y020026" => (
            S::BAD_GATEWAY,
            "Le fournisseur d'identité n'a pas pu vous authentifier (échec de l'échange du code).",
        ),
        "Y020027" => (
            S::BAD_GATEWAY,
            "Le fournisseur d'identité n'a pas transmis votre identité (échec de userinfo).",
        ),
        "Y020029" => (
            S::INTERNAL_SERVER_ERROR,
            "Le fournisseur d'identité a transmis une identité sans identifiant (sub).",
        ),
        "Y100001" => (
            S::BAD_REQUEST,
            "Le niveau de garantie renvoyé par le fournisseur d'identité est insuffisant.",
        ),
        "Y100018" => (
            S::BAD_REQUEST,
            "Le niveau de garantie renvoyé n'est pas autorisé pour ce fournisseur d'identité.",
        ),
        "Y100019" => (
            S::BAD_REQUEST,
            "Aucune session FranceConnect n'est ouverte : la déconnexion est impossible.",
        ),
        "Y180001" => (
            S::FORBIDDEN,
            "Votre compte FranceConnect est bloqué : vous l'avez désactivé depuis votre espace FranceConnect.",
        ),
        "Y190001" => (
            S::UNAUTHORIZED,
            "Votre session a expiré ou est invalide, fermez l'onglet de votre navigateur et reconnectez-vous.",
        ),
        "Y470001" => (
            S::UNAUTHORIZED,
            "Le formulaire envoyé n'est plus valide (jeton CSRF invalide).",
        ),
        "Y470002" => (
            S::BAD_REQUEST,
            "Le formulaire envoyé est incomplet (jeton CSRF manquant).",
        ),
        "Y600006" => (
            S::BAD_REQUEST,
            "L'identité transmise par le fournisseur d'identité est invalide.",
        ),
        "Y000404" => (S::NOT_FOUND, "La page demandée n'existe pas."),
        _ => (S::INTERNAL_SERVER_ERROR, "Une erreur technique est survenue."),
    }
}

impl HubError {
    /// An error page with FranceConnect's code and fcmock's explanation.
    pub fn page(code: &'static str, detail: impl Into<String>) -> Self {
        let (status, message) = catalogue(code);
        HubError::Page(PageError {
            code,
            status,
            message,
            detail: detail.into(),
            back: None,
        })
    }

    /// Adds the "back to the service provider" link to a page.
    pub fn with_back(mut self, name: &str, url: &str) -> Self {
        if let HubError::Page(p) = &mut self {
            p.back = Some((name.to_owned(), url.to_owned()));
        }
        self
    }

    /// An OAuth error redirected to a (validated) redirect URI.
    pub fn redirect(
        redirect_uri: &str,
        state: Option<&str>,
        iss: &str,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        HubError::Redirect(RedirectError {
            redirect_uri: redirect_uri.to_owned(),
            state: state.map(str::to_owned),
            iss: iss.to_owned(),
            error,
            description: description.into(),
            in_fragment: false,
        })
    }

    /// Sends the parameters of a redirected error in the URL fragment.
    pub fn in_fragment(mut self) -> Self {
        if let HubError::Redirect(r) = &mut self {
            r.in_fragment = true;
        }
        self
    }

    /// An internal failure.
    pub fn internal(detail: impl Into<String>) -> Self {
        HubError::page("Y000000", detail)
    }

    /// The page code, if this is a page.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            HubError::Page(p) => Some(p.code),
            HubError::Redirect(_) => None,
        }
    }
}

tokio::task_local! {
    /// The platform's name in the header of the error pages rendered while
    /// a request of that platform is served (set by [`branded`]).
    static BRAND: &'static str;
}

/// Serves a request of FranceConnect+ with its name on its error pages.
pub async fn branded(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    BRAND.scope("FranceConnect+", next.run(req)).await
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        match self {
            HubError::Page(p) => {
                tracing::info!(code = p.code, detail = %p.detail, "error page");
                let page = ErrorPage {
                    brand: BRAND.try_with(|b| *b).unwrap_or("FranceConnect"),
                    code: p.code,
                    error_id: error_id().to_string(),
                    message: p.message,
                    detail: &p.detail,
                    back: p.back,
                };
                with_code(render(p.status, &page), p.code)
            }
            HubError::Redirect(r) => {
                tracing::info!(error = r.error, description = %r.description, "error redirected to the service provider");
                // FranceConnect writes the literal `undefined` when no state was sent.
                let state = r.state.as_deref().unwrap_or("undefined");
                let params = [
                    ("error", r.error),
                    ("error_description", &r.description),
                    ("state", state),
                    ("iss", &r.iss),
                ];
                let target = if r.in_fragment {
                    let fragment = url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(params)
                        .finish();
                    format!("{}#{fragment}", r.redirect_uri)
                } else {
                    with_query(&r.redirect_uri, &params)
                };
                with_code(found(&target), r.error)
            }
        }
    }
}

/// A back-channel (JSON) error: token, userinfo, revocation.
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    pub code: &'static str,
    /// Adds `WWW-Authenticate: Bearer …` (userinfo).
    pub bearer_challenge: bool,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>, code: &'static str) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            code,
            bearer_challenge: false,
        }
    }

    /// A 500 `server_error` (a key that cannot sign, a client key that
    /// cannot be had), with FranceConnect's generic code.
    pub fn server(description: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            description.to_string(),
            "Y000000",
        )
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let id = error_id();
        let body = json!({
            "error": self.error,
            "error_description": self.description,
            "error_uri": format!("{ERROR_DOC}?code={}&id={id}", self.code),
        });
        let mut resp = (self.status, Json(body)).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.bearer_challenge {
            let challenge = format!(
                "Bearer realm=\"franceconnect\", error=\"{}\", error_description=\"{}\"",
                self.error,
                self.description.replace('"', "'")
            );
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        with_code(resp, self.code)
    }
}

/// A `302 Found` to `target`: FranceConnect's internal redirects (Express's
/// and Koa's default), where axum's `Redirect::to` would say 303.
pub(crate) fn found(target: &str) -> Response {
    match axum::http::HeaderValue::from_str(target) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => HubError::internal(format!("adresse de redirection invalide : {target}")).into_response(),
    }
}

/// Marks a response with its error code for the journal.
fn with_code(mut resp: Response, code: &str) -> Response {
    resp.extensions_mut().insert(ErrorCode(code.to_owned()));
    resp
}

/// The id of an error, in FranceConnect's UUID shape. Ids number the errors
/// of a run (hashed, so they look random), rather than coming from the
/// operating system: a seeded run shows the same ids.
fn error_id() -> uuid::Uuid {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let digest = Sha256::digest(format!("fcmock error {n}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// `GET /api/v2/`: FranceConnect sends visitors to its public site.
pub async fn root_redirect() -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, "https://franceconnect.gouv.fr")],
    )
        .into_response()
}

/// Any unknown path: page `Y000404`.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    HubError::page("Y000404", format!("aucune route pour `{}`", uri.path())).into_response()
}
