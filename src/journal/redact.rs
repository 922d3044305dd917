//! What the journal shows instead of secrets.
//!
//! Secrets (client secrets, passwords, CSRF tokens, PKCE verifiers) become
//! `[redacted]`; bearer credentials and codes become their
//! [`fingerprint`](super::fingerprint), so that exchanges can still be matched
//! and nothing can be replayed. Applied when the journal is read, to
//! everything it shows: URLs, parameters, headers and bodies.

use serde_json::Value;

use super::fingerprint;
use crate::oidc::form::parse_form;

/// Parameters whose values are secrets.
const SECRET_PARAMS: [&str; 5] = [
    "client_secret",
    "password",
    "client_assertion",
    "code_verifier",
    "csrfToken",
];

/// Parameters holding bearer credentials or codes: kept as a fingerprint.
pub(crate) const TOKEN_PARAMS: [&str; 4] = ["token", "access_token", "refresh_token", "code"];

/// Hidden form fields of recorded pages whose values are secrets or codes.
const HTML_SECRET_FIELDS: [&str; 4] = ["csrfToken", "code", "id_token_hint", "password"];

/// Parameters with their secrets redacted.
pub(crate) fn params(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| {
            let shown = if SECRET_PARAMS.contains(&k.as_str()) {
                "[redacted]".to_owned()
            } else if TOKEN_PARAMS.contains(&k.as_str()) {
                fingerprint(v)
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

/// A URL (absolute, or a path with a query) with its secret and token
/// parameters redacted, in the query and in the fragment.
pub(crate) fn url(url: &str) -> String {
    let Some((base, query)) = url
        .split_once('?')
        .or_else(|| url.split_once('#').map(|(b, _)| (b, "")))
    else {
        return url.to_owned();
    };
    let fragment = url.split_once('#').map(|(_, f)| f);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let mut out = base.to_owned();
    if !query.is_empty() || url.contains('?') {
        out.push('?');
        out.push_str(&encode(&params(&parse_form(query))));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&encode(&params(&parse_form(f))));
    }
    out
}

fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A page with its hidden secrets masked. A value cut short by truncation is
/// masked to the end.
pub(crate) fn html(text: &str) -> String {
    let mut out = text.to_owned();
    for name in HTML_SECRET_FIELDS {
        let marker = format!("name=\"{name}\" value=\"");
        let mut from = 0;
        while let Some(i) = out.get(from..).and_then(|rest| rest.find(&marker)) {
            let start = from + i + marker.len();
            let len = out.get(start..).map_or(0, |rest| rest.find('"').unwrap_or(rest.len()));
            out.replace_range(start..start + len, "[redacted]");
            from = start + "[redacted]".len();
        }
    }
    out
}

/// Headers with credentials fingerprinted, cookies' values and other
/// authorization schemes redacted, and codes in `Location`/`Referer` URLs
/// fingerprinted.
pub(crate) fn headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = match name.as_str() {
                "authorization" => match value.split_once(' ') {
                    Some((scheme, cred)) if scheme.eq_ignore_ascii_case("bearer") => {
                        format!("Bearer {}", fingerprint(cred))
                    }
                    Some((scheme, _)) => format!("{scheme} [redacted]"),
                    None => "[redacted]".to_owned(),
                },
                "location" | "referer" => url(value),
                "cookie" | "set-cookie" => cookie(value),
                _ => value.clone(),
            };
            (name.clone(), shown)
        })
        .collect()
}

/// A `Cookie` or `Set-Cookie` value with every cookie's value redacted and
/// the attributes kept.
fn cookie(value: &str) -> String {
    value
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((k, _))
                if !matches!(
                    k.trim().to_ascii_lowercase().as_str(),
                    "path" | "samesite" | "max-age" | "expires" | "domain"
                ) =>
            {
                format!("{}=[redacted]", k.trim())
            }
            _ => part.trim().to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A form, JSON or HTML body with its secrets replaced. `complete` says
/// whether the body is whole: a JSON body cut short cannot be parsed, so
/// it is not shown at all rather than shown with its tokens.
pub(crate) fn body(text: &str, content_type: &str, complete: bool) -> String {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return encode(&params(&parse_form(text)));
    }
    if content_type.starts_with("application/json") {
        let Ok(mut v) = serde_json::from_str::<Value>(text) else {
            return if complete {
                text.to_owned()
            } else {
                "(JSON body cut short by the journal's per-exchange limit: not shown, as it may hold tokens)".to_owned()
            };
        };
        if let Some(obj) = v.as_object_mut() {
            for key in ["access_token", "refresh_token", "client_secret"] {
                if let Some(Value::String(s)) = obj.get_mut(key) {
                    *s = if key == "client_secret" {
                        "[redacted]".to_owned()
                    } else {
                        fingerprint(s)
                    };
                }
            }
        }
        return v.to_string();
    }
    if content_type.starts_with("text/html") {
        return html(text);
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let form = "client_id=a&client_secret=s3cr3t&code=c&password=pw&token=tok";
        let red = body(form, "application/x-www-form-urlencoded", true);
        assert!(!red.contains("s3cr3t") && !red.contains("pw") && !red.contains("=tok"));
        // Codes are fingerprinted like tokens.
        assert!(!red.contains("code=c&") && red.contains("code=sha256"), "{red}");
        let json = body(r#"{"access_token":"AT","id_token":"x.y.z"}"#, "application/json", true);
        assert!(!json.contains("\"AT\"") && json.contains("x.y.z"));
        let cut = body(r#"{"access_token":"AT-CUT"#, "application/json", false);
        assert!(!cut.contains("AT-CUT"), "{cut}");
        let u = url("/api/v2/userinfo?access_token=AT-SECRET&x=1");
        assert!(!u.contains("AT-SECRET") && u.contains("x=1"), "{u}");
        let loc = url("http://sp/cb?code=THE-CODE&state=s#code=FRAG-CODE");
        assert!(
            !loc.contains("THE-CODE") && !loc.contains("FRAG-CODE") && loc.contains("state=s"),
            "{loc}"
        );
        let frag_only = url("http://sp/cb#access_token=FRAG-ONLY");
        assert!(!frag_only.contains("FRAG-ONLY"), "{frag_only}");
        let page = html(r#"<input type="hidden" name="csrfToken" value="CSRF-1"><input name="code" value="C-2">"#);
        assert!(!page.contains("CSRF-1") && !page.contains("C-2"), "{page}");
        let truncated = html(r#"<input type="hidden" name="csrfToken" value="CSRF-CUT-SH"#);
        assert!(!truncated.contains("CSRF-CUT"), "{truncated}");
        let h = headers(&[("cookie".into(), "fcmock_session=S1; other=S2".into())]);
        assert!(!h[0].1.contains("S1") && !h[0].1.contains("S2"), "{h:?}");
    }
}
