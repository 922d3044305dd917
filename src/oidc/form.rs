//! Reading `application/x-www-form-urlencoded` text (queries and bodies).

use std::borrow::Cow;
use std::collections::HashMap;

use percent_encoding::percent_decode;

/// Every pair of a query string or form body, in order, repeated keys kept.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

/// One parameter of a form, borrowed from the text unless decoding changed it.
pub type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Every pair of a query string or form body, in order, repeated keys kept,
/// borrowed where nothing needed decoding.
pub fn pairs(text: &str) -> Vec<Pair<'_>> {
    decoded(text).collect()
}

/// A form's parameters by name, borrowed from the text unless decoding
/// changed them.
pub type FormMap<'a> = HashMap<Cow<'a, str>, Cow<'a, str>>;

/// The parameters of a form by name (a repeated name keeps its last value).
pub fn form_map(text: &str) -> FormMap<'_> {
    decoded(text).collect()
}

fn decoded(text: &str) -> impl Iterator<Item = Pair<'_>> {
    raw_pairs(text.as_bytes()).map(|(k, v)| (k, decode(v)))
}

/// The pairs of a query string or form body with their names decoded and
/// their values left as sent, for a reader that keeps a few: it [`decode`]s
/// only those. Empty pieces (`a=1&&b=2`) are skipped, as the full parser does.
pub fn raw_pairs(form: &[u8]) -> impl Iterator<Item = (Cow<'_, str>, &[u8])> {
    form.split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let mut halves = piece.splitn(2, |&b| b == b'=');
            let name = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            (decode(name), value)
        })
}

/// One name or value of a form: `+` is a space, `%XX` a byte, invalid
/// UTF-8 replaced (as `url::form_urlencoded::parse` does). Borrowed unless
/// something needed decoding.
pub fn decode(raw: &[u8]) -> Cow<'_, str> {
    if raw.contains(&b'+') {
        let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
        Cow::Owned(percent_decode(&spaced).decode_utf8_lossy().into_owned())
    } else {
        percent_decode(raw).decode_utf8_lossy()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The lazy reader agrees with the full parser on every pair.
    #[test]
    fn raw_pairs_decode_as_the_parser_does() {
        let form = "a=1&&b=x+y%2Bz&%63ode=%E2%82%AC&empty=&bare&bad=%FF%zz&=v&c=d=e";
        let lazy: Vec<(String, String)> = raw_pairs(form.as_bytes())
            .map(|(k, v)| (k.into_owned(), decode(v).into_owned()))
            .collect();
        assert_eq!(lazy, parse_form(form));
        let borrowed: Vec<(String, String)> = pairs(form)
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(borrowed, parse_form(form));
        assert!(matches!(decode(b"plain"), Cow::Borrowed("plain")));
    }
}
