//! Security headers of every answer: a Content-Security-Policy that fits
//! fcmock's pages (inline styles; inline scripts only by hash), framing
//! refused, and no content sniffing.
//!
//! The inline scripts (the consent page's checkbox, the logout round trip's
//! self-submitting form, the inspector's live updates) are hashed from the very templates they are
//! rendered from, so the policy cannot drift from the pages.

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

/// Templates that hold an inline `<script>`.
const SCRIPTED_TEMPLATES: [&str; 4] = [
    include_str!("templates/consent.html"),
    include_str!("templates/auto_form.html"),
    include_str!("templates/inspector.html"),
    include_str!("templates/inspector_flow.html"),
];

/// Every inline script's text, as the browser hashes it.
fn inline_scripts() -> impl Iterator<Item = &'static str> {
    SCRIPTED_TEMPLATES.iter().flat_map(|t| {
        t.split("<script>")
            .skip(1)
            .filter_map(|rest| rest.split("</script>").next())
    })
}

/// The policy, computed once.
static CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    let hashes: Vec<String> = inline_scripts()
        .map(|s| {
            let digest = Sha256::digest(s.as_bytes());
            format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
        })
        .collect();
    // form-action stays open: forms end in redirects to service providers,
    // which browsers check against form-action too.
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; script-src {}; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        hashes.join(" ")
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
});

/// Adds the security headers to an answer (the serve loop calls it on
/// every one).
pub fn headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    // Room for the three at once: a map grown one header at a time is
    // copied at each step.
    h.reserve(3);
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert_with(|| CSP.clone());
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inline_script_is_hashed() {
        assert_eq!(inline_scripts().count(), 4);
        let csp = CSP.to_str().unwrap();
        assert_eq!(csp.matches("'sha256-").count(), 4, "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
