//! Generated avatars: an inline SVG face per persona, deterministic from its
//! id, so trainers can tell people apart at a glance. No external asset.

use sha2::{Digest as _, Sha256};

const SKIN: [&str; 6] = ["#f6d3b3", "#eac096", "#d5a47e", "#b07b54", "#8d5a3b", "#5f3b25"];
const HAIR: [&str; 6] = ["#2b1d16", "#4a3020", "#7a4a2a", "#c89a4b", "#a5412a", "#111111"];
const BACKGROUND: [&str; 8] = [
    "#dfe8ff", "#e6f5e9", "#fff1d6", "#fde4ec", "#e8e3ff", "#d9f2f7", "#f4ecd8", "#ececec",
];

fn pick<'a>(list: &[&'a str], byte: u8) -> &'a str {
    list.get(usize::from(byte) % list.len()).copied().unwrap_or("#cccccc")
}

/// An SVG avatar for a persona.
///
/// `gender` picks the hair shape, `senior` greys it; `label` is the
/// accessible name (the persona's name).
pub fn svg(id: &str, gender: &str, senior: bool, initials: &str, label: &str) -> String {
    let h = Sha256::digest(id.as_bytes());
    let b = |i: usize| h.get(i).copied().unwrap_or(0);
    let skin = pick(&SKIN, b(0));
    let hair = if senior { "#c9c9c9" } else { pick(&HAIR, b(1)) };
    let bg = pick(&BACKGROUND, b(2));
    let hair_shape = match gender {
        "female" => format!(
            r#"<path d="M22 52 Q20 18 50 16 Q80 18 78 52 L78 80 Q70 70 68 50 L32 50 Q30 70 22 80 Z" fill="{hair}"/>"#
        ),
        "male" => format!(r#"<path d="M27 44 Q26 18 50 17 Q74 18 73 44 Q66 30 50 30 Q34 30 27 44 Z" fill="{hair}"/>"#),
        _ => {
            format!(r#"<path d="M24 50 Q22 18 50 16 Q78 18 76 50 L72 62 Q70 36 50 32 Q30 36 28 62 Z" fill="{hair}"/>"#)
        }
    };
    let smile = 58 + u32::from(b(3) % 6);
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="96" height="96" role="img" aria-label="{label}">"#,
            r#"<title>{label}</title>"#,
            r#"<rect width="100" height="100" rx="14" fill="{bg}"/>"#,
            r#"<ellipse cx="50" cy="96" rx="34" ry="20" fill="{hair}" opacity="0.35"/>"#,
            r#"<circle cx="50" cy="46" r="24" fill="{skin}"/>"#,
            "{hair_shape}",
            r##"<circle cx="41" cy="46" r="2.6" fill="#222"/><circle cx="59" cy="46" r="2.6" fill="#222"/>"##,
            r##"<path d="M41 {smile} Q50 {smile2} 59 {smile}" stroke="#6b2b2b" stroke-width="2.4" fill="none" stroke-linecap="round"/>"##,
            r##"<text x="92" y="94" font-size="11" text-anchor="end" font-family="sans-serif" fill="#333">{initials}</text>"##,
            "</svg>"
        ),
        label = esc(label),
        bg = bg,
        hair = hair,
        skin = skin,
        hair_shape = hair_shape,
        smile = smile,
        smile2 = smile + 6,
        initials = esc(initials),
    )
}

#[cfg(test)]
mod tests {
    use super::svg;

    #[test]
    fn avatars_are_deterministic_and_escape_labels() {
        let a = svg("x", "female", false, "AB", "Anne <B>");
        assert_eq!(a, svg("x", "female", false, "AB", "Anne <B>"));
        assert_ne!(a, svg("y", "female", false, "AB", "Anne <B>"));
        assert!(a.contains("Anne &lt;B&gt;"));
        assert!(a.starts_with("<svg") && a.ends_with("</svg>"));
    }
}
