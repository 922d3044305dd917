//! The demo portal's pages (askama templates extending `base.html`, so
//! that the test-environment banner is always there).

use askama::Template;

use super::records::{self, summary};
use super::{Prefill, Visit};
use crate::config::LocalAccount;

#[derive(Template)]
#[template(path = "demo_home.html")]
pub(super) struct HomePage {
    pub message: String,
    /// Whether the demo client is registered (the default bundle does it).
    pub registered: bool,
    pub logged_in: bool,
    pub name: String,
}

/// An account as a row: service, reference, names, why it was found.
pub(super) struct Row {
    pub service: &'static str,
    pub reference: String,
    pub names: String,
    pub birthdate: String,
    pub why: String,
    pub summary: String,
}

impl Row {
    fn of(a: &LocalAccount, why: &str) -> Self {
        Self {
            service: records::service_name(a.service),
            reference: a.reference.clone(),
            names: format!("{} {}", a.given_name, a.family_name),
            birthdate: a.birthdate.clone().unwrap_or_else(|| "—".to_owned()),
            why: why.to_owned(),
            summary: summary(a),
        }
    }
}

#[derive(Template)]
#[template(path = "demo_link.html")]
pub(super) struct LinkPage {
    pub identity: String,
    pub birthdate: String,
    pub proposals: Vec<Row>,
    pub near: Vec<Row>,
}

impl LinkPage {
    pub(super) fn of(v: &Visit) -> Self {
        Self {
            identity: format!("{} {}", v.given_names, v.family_name),
            birthdate: v.birthdate.clone(),
            proposals: v.proposals.iter().map(|(a, w)| Row::of(a, w)).collect(),
            near: v.near.iter().map(|(a, w)| Row::of(a, w)).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "demo_dashboard.html")]
pub(super) struct DashboardPage {
    pub message: String,
    pub name: String,
    pub franceconnect: bool,
    pub rows: Vec<Row>,
}

impl DashboardPage {
    /// The page for `v` (its message is said once).
    pub(super) fn of(v: &mut Visit) -> Self {
        Self {
            message: v.message.take().unwrap_or_default(),
            name: v.given_name.clone(),
            franceconnect: v.sub.is_some(),
            rows: v.accounts.iter().map(|a| Row::of(a, "")).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "demo_childcare.html")]
pub(super) struct ChildcarePage {
    pub parent: String,
    pub prefill: Option<Prefill>,
}

impl ChildcarePage {
    pub(super) fn of(v: &Visit) -> Self {
        Self {
            parent: format!("{} {}", v.given_names, v.family_name).trim().to_owned(),
            prefill: v.prefill.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "demo_message.html")]
pub(super) struct MessagePage {
    pub title: String,
    pub text: String,
}
