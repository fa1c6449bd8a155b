//! Messages out to their channels: a webhook in its format (Slack's `{"text"}`, a JSON
//! record, plain text), a status page's JSON with its state, an email through SMTP. A
//! webhook's URL is a secret (`${NAME}`): no error names it.

use std::time::Duration;

use super::http::{self, Body};
use crate::runbook::channel::{Channel, ChannelKind, Message, WebhookFormat};

/// How long a channel may take to answer before the message counts as not sent.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The body a webhook of this format gets.
pub fn body(format: WebhookFormat, m: &Message) -> serde_json::Value {
    match format {
        WebhookFormat::Slack | WebhookFormat::Text => serde_json::json!({ "text": m.text }),
        WebhookFormat::Json => serde_json::json!({
            "text": m.text,
            "audience": m.audience,
            "state": m.page_state,
            "runbook": m.runbook,
            "at": m.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    }
}

pub async fn post(
    client: &http::Client,
    url: &str,
    body: Body<'_>,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<(), String> {
    http::request(
        client,
        reqwest::Method::POST,
        url,
        &[],
        Some(body),
        timeout,
        vars,
    )
    .await?
    .ok()
    .map(|_| ())
}

/// One message to one channel.
pub async fn deliver(
    client: &http::Client,
    channel: &Channel,
    m: &Message,
    vars: &[(String, String)],
) -> Result<(), String> {
    match &channel.kind {
        ChannelKind::Webhook {
            url,
            format: WebhookFormat::Text,
        } => post(client, url, Body::Text(&m.text), TIMEOUT, vars).await,
        ChannelKind::Webhook { url, format } => {
            post(client, url, Body::Json(&body(*format, m)), TIMEOUT, vars).await
        }
        ChannelKind::StatusPage { url } => {
            let page = serde_json::json!({
                "state": m.page_state,
                "message": m.text,
                "runbook": m.runbook,
                "at": m.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            });
            post(client, url, Body::Json(&page), TIMEOUT, vars).await
        }
        ChannelKind::Email(smtp) => super::email::send(smtp, m, vars).await,
    }
}
