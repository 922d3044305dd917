//! Reading `application/x-www-form-urlencoded` text (queries and bodies).

/// Every pair of a query string or form body, in order, repeated keys kept.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}
