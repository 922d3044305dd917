//! The identity providers' error surfaces: a page in French for the
//! browser, a JSON OAuth error on the back channel. Like FranceConnect's
//! mock providers, they explain in words and carry no `Y…` code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::web::{MessagePage, render};

/// An error of a built-in identity provider.
#[derive(Debug)]
pub enum IdpError {
    /// Shown to the browser as the provider's error page.
    Page { status: StatusCode, message: String },
    /// Sent to the hub on the back channel (token, userinfo).
    OAuth {
        status: StatusCode,
        error: &'static str,
        description: String,
    },
}

impl IdpError {
    /// An error page with `message` (French, for the user).
    pub fn page(status: StatusCode, message: impl Into<String>) -> Self {
        IdpError::Page {
            status,
            message: message.into(),
        }
    }

    /// A back-channel OAuth error.
    pub fn oauth(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        IdpError::OAuth {
            status,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for IdpError {
    fn into_response(self) -> Response {
        match self {
            IdpError::Page { status, message } => render(
                status,
                &MessagePage {
                    heading: "Erreur du fournisseur d'identité",
                    body: &message,
                },
            ),
            IdpError::OAuth {
                status,
                error,
                description,
            } => (status, Json(json!({"error": error, "error_description": description}))).into_response(),
        }
    }
}
