//! Reading `application/x-www-form-urlencoded` text (queries and bodies).

/// Every pair of a query string or form body, in order, repeated keys kept.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

/// Appends query parameters to a URL that may already have some (the URL
/// comes out normalised by the parser, even with no parameter to add).
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            if !params.is_empty() {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            u.into()
        }
        Err(_) => base.to_owned(),
    }
}
