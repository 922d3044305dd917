//! The inspector's two pages (askama templates, extending `base.html`).

use askama::Template;

use super::diagram::Diagram;
use super::view::{ExchangeView, FlowSummary};

/// `/_fcmock/inspector`.
#[derive(Template)]
#[template(path = "inspector.html")]
pub(super) struct InspectorPage {
    pub recording: bool,
    pub flows: Vec<FlowSummary>,
}

/// `/_fcmock/inspector/{flow}`.
#[derive(Template)]
#[template(path = "inspector_flow.html")]
pub(super) struct InspectorFlowPage {
    pub flow: String,
    pub client: String,
    pub persona: String,
    pub diagram: Option<Diagram>,
    pub exchanges: Vec<ExchangeView>,
}

impl InspectorFlowPage {
    /// The page for a flow the journal does not (or no longer) hold.
    pub(super) fn missing(flow: &str) -> Self {
        Self {
            flow: flow.to_owned(),
            client: String::new(),
            persona: String::new(),
            diagram: None,
            exchanges: Vec::new(),
        }
    }
}
