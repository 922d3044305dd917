//! The control API's errors: `{"error": message}` with a status, plus the
//! located list (`errors: [{line, field, message}]`) when a scenario or a
//! persona document was refused.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::ConfigErrors;

/// An error of the control API.
#[derive(Debug)]
pub struct ControlError {
    pub status: StatusCode,
    pub message: String,
    /// Each problem of a refused document, located.
    pub located: Vec<Value>,
}

impl ControlError {
    /// `{"error": message}` with `status`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            located: Vec::new(),
        }
    }

    /// 400 with every located error of a scenario or persona document.
    pub fn document(errors: &ConfigErrors) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: errors.to_string().trim_end().to_owned(),
            located: errors
                .0
                .iter()
                .map(|e| json!({"line": e.line, "field": e.field, "message": e.message}))
                .collect(),
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let body = if self.located.is_empty() {
            json!({"error": self.message})
        } else {
            json!({"error": self.message, "errors": self.located})
        };
        (self.status, Json(body)).into_response()
    }
}
