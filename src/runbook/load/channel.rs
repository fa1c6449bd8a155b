//! `[channel.NAME]`: webhooks (slack, json, text), email through SMTP, status pages. Every
//! secret in them lives in the environment (`${NAME}`), as `check` insists.

use super::*;
use crate::runbook::channel::{Channel, ChannelKind, Smtp, WebhookFormat};

/// The name the `[status-updates] webhook` goes under when no `[channel]` names it.
const LEGACY: &str = "webhook";

/// A URL anyone could post with is written as `${NAME}`.
fn secret_url(d: &mut Diagnostics<'_>, key: &str, v: &raw::S<String>, example: &str) -> String {
    if var_names(v.get_ref()).is_empty() {
        d.error(
            Some(v.span()),
            key,
            format!(
                "a webhook URL is a secret: set it in the environment and write `{example} = \"${{NAME}}\"`"
            ),
        );
    }
    v.get_ref().clone()
}

/// Every channel, in name order, and the `[status-updates] webhook` as one more (named
/// after its `channel`, or `webhook`).
pub(super) fn channels(d: &mut Diagnostics<'_>, s: &Sections) -> Vec<Channel> {
    let mut out: Vec<Channel> = s
        .channels
        .iter()
        .filter_map(|(name, c)| channel(d, name, c))
        .collect();
    if let Some(u) = &s.status_updates
        && let Some(w) = &u.webhook
    {
        let url = secret_url(d, "status-updates.webhook", w, "webhook");
        let name = u.channel.clone().unwrap_or_else(|| LEGACY.to_owned());
        if out.iter().any(|c| c.name == name) {
            d.error(
                Some(w.span()),
                "status-updates.webhook",
                format!("a `[channel.{name}]` is defined too: name it in `channels` and drop the `webhook` here"),
            );
        } else {
            out.push(Channel {
                name,
                kind: ChannelKind::Webhook {
                    url,
                    format: WebhookFormat::Slack,
                },
            });
        }
    }
    out
}

fn channel(
    d: &mut Diagnostics<'_>,
    name: &raw::S<String>,
    c: &raw::S<raw::Channel>,
) -> Option<Channel> {
    let key = format!("channel.{}", name.get_ref());
    check_id(d, &key, name, true);
    let span = c.span();
    let c = c.get_ref();
    let kinds = [
        c.webhook.is_some(),
        c.smtp.is_some(),
        c.status_page.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        d.error(
            Some(span),
            &key,
            "a channel is one of: `webhook = \"${URL}\"` (with `format`), `smtp = { host, port, from, to }`, `status-page = \"${URL}\"`",
        );
        return None;
    }
    if let Some(f) = &c.format
        && c.webhook.is_none()
    {
        d.error(
            Some(f.span()),
            format!("{key}.format"),
            "`format` is a webhook's: an email is text and a status page is JSON",
        );
    }
    let kind = if let Some(w) = &c.webhook {
        let url = secret_url(d, &format!("{key}.webhook"), w, "webhook");
        let format = match &c.format {
            None => WebhookFormat::Slack,
            Some(f) => WebhookFormat::parse(f.get_ref()).or_else(|| {
                d.error(
                    Some(f.span()),
                    format!("{key}.format"),
                    format!(
                        "`{}` is not a format: one of {}",
                        f.get_ref(),
                        WebhookFormat::NAMES.join(", ")
                    ),
                );
                None
            })?,
        };
        ChannelKind::Webhook { url, format }
    } else if let Some(p) = &c.status_page {
        ChannelKind::StatusPage {
            url: secret_url(d, &format!("{key}.status-page"), p, "status-page"),
        }
    } else {
        ChannelKind::Email(smtp(d, &key, c.smtp.as_ref()?, c.subject.clone())?)
    };
    if c.subject.is_some() && !matches!(kind, ChannelKind::Email(_)) {
        d.warning(
            Some(span),
            format!("{key}.subject"),
            "`subject` is an email's: this channel does not use it",
        );
    }
    Some(Channel {
        name: name.get_ref().clone(),
        kind,
    })
}

fn smtp(
    d: &mut Diagnostics<'_>,
    key: &str,
    s: &raw::S<raw::Smtp>,
    subject: Option<String>,
) -> Option<Smtp> {
    let key = format!("{key}.smtp");
    let s = s.get_ref();
    let port = match &s.port {
        None => Some(587),
        Some(p) => match u16::try_from(*p.get_ref()) {
            Ok(port) if port > 0 => Some(port),
            _ => {
                d.error(
                    Some(p.span()),
                    format!("{key}.port"),
                    format!("`{}` is not a port (1 to 65535)", p.get_ref()),
                );
                None
            }
        },
    };
    let to: Vec<String> = s.to.get_ref().iter().map(|t| t.get_ref().clone()).collect();
    if to.is_empty() {
        d.error(
            Some(s.to.span()),
            format!("{key}.to"),
            "at least one address: `to = [\"ops@example.com\"]`",
        );
    }
    for a in s.to.get_ref().iter().chain(std::iter::once(&s.from)) {
        let text = a.get_ref();
        if var_names(text).is_empty() && !looks_like_address(text) {
            d.error(
                Some(a.span()),
                &key,
                format!("`{text}` is not an email address (`name@example.com` or `Ops <ops@example.com>`)"),
            );
        }
    }
    if let Some(p) = &s.password
        && var_names(p.get_ref()).is_empty()
    {
        d.error(
            Some(p.span()),
            format!("{key}.password"),
            "a password lives in the environment: write `password = \"${SMTP_PASSWORD}\"`",
        );
    }
    if s.password.is_some() != s.username.is_some() {
        d.error(None, &key, "`username` and `password` go together");
    }
    Some(Smtp {
        host: s.host.get_ref().clone(),
        port: port?,
        from: s.from.get_ref().clone(),
        to,
        starttls: s.starttls.unwrap_or(true),
        username: s.username.as_ref().map(|u| u.get_ref().clone()),
        password: s.password.as_ref().map(|p| p.get_ref().clone()),
        subject: subject.unwrap_or_else(|| "{light}: {phase}, {percent} done".to_owned()),
    })
}

/// `local@domain`, bare or in angle brackets after a display name.
fn looks_like_address(text: &str) -> bool {
    let addr = match (text.find('<'), text.rfind('>')) {
        (Some(a), Some(b)) if a < b => &text[a + 1..b],
        _ => text,
    };
    let addr = addr.trim();
    addr.split_once('@')
        .is_some_and(|(l, dom)| !l.is_empty() && dom.contains('.') && !addr.contains(' '))
}

/// `channels = [...]` naming `[channel.NAME]`s; absent: every channel. A channel written
/// with a mistake of its own is known here (its error is said once, where it is).
pub(super) fn channel_names(
    d: &mut Diagnostics<'_>,
    key: &str,
    names: Option<&raw::S<Vec<raw::S<String>>>>,
    channels: &[Channel],
    s: &Sections,
) -> Vec<String> {
    let Some(names) = names else {
        return channels.iter().map(|c| c.name.clone()).collect();
    };
    let mut known: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    known.extend(s.channels.keys().map(|k| k.get_ref().as_str()));
    known.sort_unstable();
    known.dedup();
    let mut out = Vec::new();
    for n in names.get_ref() {
        if channels.iter().any(|c| c.name == *n.get_ref()) {
            out.push(n.get_ref().clone());
        } else if !known.contains(&n.get_ref().as_str()) {
            d.error(
                Some(n.span()),
                key,
                format!(
                    "`{}` is not a `[channel.NAME]`{}",
                    n.get_ref(),
                    if known.is_empty() {
                        String::new()
                    } else {
                        format!(" (there are: {})", known.join(", "))
                    }
                ),
            );
        }
    }
    out
}
