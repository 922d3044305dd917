//! The fcmock a portal is checked against, spoken to over HTTP only: a
//! running one (`--fcmock URL`, through its control API) or one started in
//! this process on a free loopback port. Either way the checker and the
//! journey runner load scenarios, read the journal and rotate keys the way a
//! tester's script would.

use std::time::Duration;

use serde_json::{Value, json};

use super::PortalError;
use crate::paths::mock as c;

/// A handle on one fcmock.
pub struct Fcmock {
    /// Its public URL, without a final `/`.
    pub base: String,
    http: reqwest::Client,
    token: Option<String>,
    /// Stops the in-process server when dropped.
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Fcmock {
    /// A running fcmock at `base` (its control API must answer this caller:
    /// loopback, or `token` as `--control-token`).
    pub async fn connect(base: &str, token: Option<String>) -> Result<Self, PortalError> {
        let me = Self {
            base: base.trim_end_matches('/').to_owned(),
            http: client()?,
            token,
            _stop: None,
        };
        me.get_json(c::HEALTH).await?;
        Ok(me)
    }

    /// An fcmock in this process with configuration `cfg`, listening on
    /// `bind` (port 0: a free one); browsers reach it at `public`
    /// (default `http://localhost:PORT`), which is what the portal must use
    /// as FranceConnect's address.
    pub async fn start(
        cfg: crate::config::Config,
        bind: std::net::SocketAddr,
        public: Option<String>,
    ) -> Result<Self, PortalError> {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| PortalError::Setup(format!("binding {bind}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| PortalError::Setup(e.to_string()))?
            .port();
        let base = public
            .map(|p| p.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://localhost:{port}"));
        let urls = crate::server::Urls {
            public: base.clone(),
            internal: format!("http://127.0.0.1:{port}"),
        };
        let state = crate::server::AppState::new(
            cfg,
            urls,
            crate::clock::Clock::system(),
            crate::rng::Rng::from_entropy(),
            None,
        )
        .map_err(|e| PortalError::Setup(e.to_string()))?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(crate::server::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Ok(Self {
            base,
            http: client()?,
            token: None,
            _stop: Some(tx),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorized(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    async fn answer(what: &str, resp: Result<reqwest::Response, reqwest::Error>) -> Result<Value, PortalError> {
        let resp = resp.map_err(|e| PortalError::Fcmock(format!("{what}: {e}")))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| PortalError::Fcmock(format!("{what}: {e}")))?;
        if !status.is_success() {
            return Err(PortalError::Fcmock(format!("{what} answered {status}: {text}")));
        }
        serde_json::from_str(&text).map_err(|e| PortalError::Fcmock(format!("{what}: not JSON ({e})")))
    }

    async fn get_json(&self, path: &str) -> Result<Value, PortalError> {
        let resp = self.authorized(self.http.get(self.url(path))).send().await;
        Self::answer(&format!("GET {path}"), resp).await
    }

    async fn post_json(&self, path: &str, body: &Value) -> Result<Value, PortalError> {
        let resp = self.authorized(self.http.post(self.url(path))).json(body).send().await;
        Self::answer(&format!("POST {path}"), resp).await
    }

    /// Puts a scenario (YAML) in force; returns its id.
    pub async fn load_scenario(&self, yaml: &str) -> Result<String, PortalError> {
        let resp = self
            .authorized(self.http.post(self.url(c::API_SCENARIOS)))
            .header(reqwest::header::CONTENT_TYPE, "application/yaml")
            .body(yaml.to_owned())
            .send()
            .await;
        let v = Self::answer("loading a scenario", resp).await?;
        v.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| PortalError::Fcmock("the scenario answer has no id".to_owned()))
    }

    /// Takes a scenario out of force.
    pub async fn remove_scenario(&self, id: &str) -> Result<(), PortalError> {
        let path = c::API_SCENARIO.replace("{id}", id);
        let resp = self
            .authorized(self.http.delete(self.url(&path)))
            .send()
            .await
            .map_err(|e| PortalError::Fcmock(format!("DELETE {path}: {e}")))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(PortalError::Fcmock(format!("DELETE {path} answered {}", resp.status())))
        }
    }

    /// fcmock's clock, in milliseconds since the epoch.
    pub async fn now_ms(&self) -> Result<i64, PortalError> {
        let v = self.get_json(c::API_CLOCK).await?;
        v.get("now_ms")
            .and_then(Value::as_i64)
            .ok_or_else(|| PortalError::Fcmock("the clock answer has no now_ms".to_owned()))
    }

    /// The exchanges since `since_ms` (of `client_id` only, when given), oldest first.
    pub async fn journal(&self, client_id: Option<&str>, since_ms: i64) -> Result<Vec<Value>, PortalError> {
        let path = match client_id {
            Some(id) => format!("{}?client_id={id}&since={since_ms}", c::API_JOURNAL),
            None => format!("{}?since={since_ms}", c::API_JOURNAL),
        };
        let v = self.get_json(&path).await?;
        let mut list = v
            .get("exchanges")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        list.sort_by_key(|e| e.get("seq").and_then(Value::as_u64).unwrap_or_default());
        Ok(list)
    }

    /// Rotates FranceConnect's signing keys (a new key signs; the old one is gone).
    pub async fn rotate_keys(&self) -> Result<(), PortalError> {
        for step in ["publish", "activate", "retire"] {
            self.post_json(c::API_KEYS_ROTATE, &json!({ "step": step })).await?;
        }
        Ok(())
    }

    /// The registered client `client_id`, as the control API lists it.
    pub async fn client(&self, client_id: &str) -> Result<Value, PortalError> {
        let list = self.get_json(c::API_CLIENTS).await?;
        list.as_array()
            .and_then(|l| {
                l.iter()
                    .find(|c| c.get("client_id").and_then(Value::as_str) == Some(client_id))
            })
            .cloned()
            .ok_or_else(|| {
                PortalError::Setup(format!(
                    "client `{client_id}` is not registered at {}; register it (--config) or name another (--client)",
                    self.base
                ))
            })
    }

    /// A persona by id, or the first one with all `tags`, with an account at `idp` when given.
    pub async fn persona(&self, id: Option<&str>, tags: &[String], idp: Option<&str>) -> Result<Value, PortalError> {
        let mut path = c::API_PERSONAS.to_owned();
        let mut query: Vec<String> = tags.iter().map(|t| format!("tag={t}")).collect();
        if let Some(i) = idp {
            query.push(format!("idp={i}"));
        }
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let list = self.get_json(&path).await?;
        let found = list.as_array().and_then(|l| match id {
            Some(id) => l.iter().find(|p| p.get("id").and_then(Value::as_str) == Some(id)),
            None => l.first(),
        });
        found.cloned().ok_or_else(|| {
            PortalError::Setup(format!(
                "no persona {} at {}",
                match id {
                    Some(id) => format!("`{id}`"),
                    None => format!("with tags {tags:?}"),
                },
                self.base
            ))
        })
    }
}

/// Whether a journal exchange is at FranceConnect's `name` endpoint
/// (`token`, `userinfo`, `session.end`), on either platform.
pub(crate) fn at_endpoint(exchange: &Value, name: &str) -> bool {
    let ep = exchange.get("endpoint").and_then(Value::as_str).unwrap_or_default();
    ep.strip_prefix("fc.")
        .or_else(|| ep.strip_prefix("fcplus."))
        .is_some_and(|rest| rest == name)
}

/// A journal exchange's decoded parameters (secrets already redacted).
pub(crate) fn params_of(exchange: &Value) -> Vec<(String, String)> {
    exchange
        .get("params")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|p| Some((p.get(0)?.as_str()?.to_owned(), p.get(1)?.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// A request header of a journal exchange.
pub(crate) fn header_of<'a>(exchange: &'a Value, name: &str) -> Option<&'a str> {
    exchange
        .get("request_headers")?
        .as_array()?
        .iter()
        .find(|h| h.get(0).and_then(Value::as_str) == Some(name))?
        .get(1)?
        .as_str()
}

fn client() -> Result<reqwest::Client, PortalError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| PortalError::Setup(e.to_string()))
}
