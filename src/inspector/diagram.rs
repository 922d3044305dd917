//! A flow as a sequence diagram: five lanes (Navigateur, Fournisseur de
//! service, FranceConnect, Fournisseur d'identité, Fournisseur de données),
//! one arrow per exchange in the journal's order, and a dashed arrow where
//! FranceConnect sends the browser back to the service provider (that hop
//! happens outside fcmock). Geometry only: the template draws the SVG, so
//! every text is escaped by askama.

use crate::journal::{Exchange, Party};

/// Horizontal distance between lanes.
const LANE_GAP: u32 = 170;
/// Left margin to the first lane.
const LEFT: u32 = 80;
/// Height of one arrow's row.
const ROW: u32 = 46;
/// Room for the lane titles.
const TOP: u32 = 70;

/// The lanes, left to right.
pub const LANES: [&str; 5] = [
    "Navigateur",
    "Fournisseur de service",
    "FranceConnect",
    "Fournisseur d'identité",
    "Fournisseur de données",
];

/// One lane.
pub struct Lane {
    pub x: u32,
    pub label: &'static str,
}

/// One arrow.
pub struct Arrow {
    /// The exchange it stands for (0 for a hop outside fcmock).
    pub seq: u64,
    pub y: u32,
    pub x1: u32,
    pub x2: u32,
    /// Where the label starts (above the arrow, from its left end).
    pub label_x: u32,
    /// The arrow's left end and length (its clickable box).
    pub left: u32,
    pub span: u32,
    pub label: String,
    /// `302`, `200 · Y020026`…
    pub status: String,
    pub error: bool,
    /// A hop fcmock did not see (the browser going back to the service provider).
    pub dashed: bool,
}

/// The whole drawing.
pub struct Diagram {
    pub width: u32,
    pub height: u32,
    pub lanes: Vec<Lane>,
    pub arrows: Vec<Arrow>,
}

fn lane_x(i: usize) -> u32 {
    LEFT + LANE_GAP * i as u32
}

fn from_lane(p: &Party) -> usize {
    match p {
        Party::Browser => 0,
        Party::ServiceProvider => 1,
        Party::Platform => 2,
        Party::DataProvider => 4,
    }
}

fn to_lane(to: &str) -> usize {
    if to.starts_with("idp:") {
        3
    } else if to.starts_with("dp:") {
        4
    } else {
        2
    }
}

/// The path of a URL, without its query, shortened for a label.
fn short_path(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_prefix("/fcplus").unwrap_or(path);
    let path = path.strip_prefix("/api/v2").unwrap_or(path);
    if path.chars().count() > 34 {
        let mut s: String = path.chars().take(33).collect();
        s.push('…');
        s
    } else {
        path.to_owned()
    }
}

/// Draws `exchanges`; `public` is fcmock's public URL (a `Location` elsewhere
/// goes back to the service provider).
pub fn draw(exchanges: &[Exchange], public: &str) -> Diagram {
    let mut arrows = Vec::new();
    let mut push = |seq: u64, from: usize, to: usize, label: String, status: String, error: bool, dashed: bool| {
        let (x1, x2) = (lane_x(from), lane_x(to));
        let y = TOP + ROW * arrows.len() as u32 + ROW / 2;
        arrows.push(Arrow {
            seq,
            y,
            x1,
            x2,
            label_x: x1.min(x2) + 8,
            left: x1.min(x2),
            span: x1.abs_diff(x2),
            label,
            status,
            error,
            dashed,
        });
    };
    for x in exchanges {
        let (from, to) = (from_lane(&x.meta.from), to_lane(&x.meta.to));
        let status = match &x.error_code {
            Some(code) => format!("{} · {code}", x.status),
            None => x.status.to_string(),
        };
        let error = x.status >= 400 || x.error_code.is_some();
        push(
            x.meta.seq,
            from,
            to,
            format!("{} {}", x.meta.method, short_path(&x.url)),
            status,
            error,
            false,
        );
        let leaves = x
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("http") && !l.starts_with(public));
        if from == 0 && leaves {
            push(0, 0, 1, "retour vers le service".to_owned(), String::new(), false, true);
        }
    }
    let height = TOP + ROW * arrows.len() as u32 + 30;
    Diagram {
        width: lane_x(LANES.len() - 1) + LEFT,
        height,
        lanes: LANES
            .iter()
            .enumerate()
            .map(|(i, label)| Lane { x: lane_x(i), label })
            .collect(),
        arrows,
    }
}

#[cfg(test)]
mod tests {
    use super::short_path;

    #[test]
    fn labels_name_the_endpoint_without_prefix_nor_query() {
        assert_eq!(short_path("/api/v2/authorize?client_id=x"), "/authorize");
        assert_eq!(short_path("/fcplus/api/v2/token"), "/token");
        assert_eq!(short_path("/idp/ameli/login"), "/idp/ameli/login");
        assert!(short_path(&format!("/{}", "a".repeat(80))).ends_with('…'));
    }
}
