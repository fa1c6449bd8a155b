//! Status updates out to a Slack-compatible incoming webhook: `{"text": ...}` by POST.
//! The URL is a secret (`${NAME}`): no error names it.

use std::time::Duration;

use super::http;

/// How long a webhook may take to answer before the update counts as not sent.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub async fn post(
    client: &crate::monitor::http::Client,
    url: &str,
    text: &str,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<(), String> {
    let body = serde_json::json!({ "text": text });
    http::request(
        client,
        reqwest::Method::POST,
        url,
        &[],
        Some(&body),
        timeout,
        vars,
    )
    .await?
    .ok()
    .map(|_| ())
}
