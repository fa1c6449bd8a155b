//! `[channel.NAME]`: where a status update or a planned message goes. A chat webhook, an
//! email list through SMTP, or a status page; each send is journaled per channel.

/// A message as a channel gets it: the text, and what a format adds.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    /// An email's subject line, filled in.
    pub subject: String,
    /// A status page's state.
    pub page_state: Option<String>,
    pub audience: Option<String>,
    pub runbook: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A named destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// An incoming webhook; its URL is a secret (`${NAME}`).
    Webhook {
        url: String,
        format: WebhookFormat,
    },
    Email(Smtp),
    /// A status page's webhook: each message carries the page's state ("Scheduled
    /// maintenance", "In progress", "Operational").
    StatusPage {
        url: String,
    },
}

/// How a webhook's body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// `{"text": ...}`: Slack, Mattermost, Rocket.Chat.
    Slack,
    /// `{"text", "audience", "state", "runbook", "at"}`.
    Json,
    /// The text itself, `text/plain`.
    Text,
}

impl WebhookFormat {
    pub const NAMES: [&str; 3] = ["slack", "json", "text"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "slack" => Some(Self::Slack),
            "json" => Some(Self::Json),
            "text" => Some(Self::Text),
            _ => None,
        }
    }
}

/// An SMTP submission: strings may hold `${NAME}`; the password must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub to: Vec<String>,
    /// STARTTLS before anything is said (the default); `false` only for a relay on this
    /// host or a test server.
    pub starttls: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The subject line; a template with the status-update fields.
    pub subject: String,
}

impl Channel {
    /// What a channel is, in a word, for `check` and the contacts dialog.
    pub fn describe(&self) -> String {
        match &self.kind {
            ChannelKind::Webhook { format, .. } => format!(
                "{} webhook",
                match format {
                    WebhookFormat::Slack => "slack",
                    WebhookFormat::Json => "json",
                    WebhookFormat::Text => "text",
                }
            ),
            ChannelKind::Email(s) => {
                format!("email to {} via {}:{}", s.to.join(", "), s.host, s.port)
            }
            ChannelKind::StatusPage { .. } => "status page".to_owned(),
        }
    }

    /// Every string that may hold a `${NAME}`.
    pub fn templated(&self) -> Vec<&str> {
        match &self.kind {
            ChannelKind::Webhook { url, .. } | ChannelKind::StatusPage { url } => vec![url],
            ChannelKind::Email(s) => {
                let mut v = vec![s.host.as_str(), s.from.as_str()];
                v.extend(s.to.iter().map(String::as_str));
                v.extend(s.username.as_deref());
                v.extend(s.password.as_deref());
                v
            }
        }
    }

    /// The strings that are secrets: a webhook's URL (anyone holding it can post), an SMTP
    /// password.
    pub fn secret(&self) -> Vec<&str> {
        match &self.kind {
            ChannelKind::Webhook { url, .. } | ChannelKind::StatusPage { url } => vec![url],
            ChannelKind::Email(s) => s.password.as_deref().into_iter().collect(),
        }
    }
}
