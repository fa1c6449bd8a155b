//! An email channel: the message through an SMTP submission server, STARTTLS unless the
//! runbook says otherwise, the password only to that server. Errors name the server,
//! never the password.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::http::expand;
use crate::runbook::channel::{Message, Smtp};

const TIMEOUT: Duration = Duration::from_secs(20);

fn mailbox(text: &str) -> Result<Mailbox, String> {
    text.parse::<Mailbox>()
        .map_err(|e| format!("`{text}` is not an email address: {e}"))
}

pub async fn send(smtp: &Smtp, m: &Message, vars: &[(String, String)]) -> Result<(), String> {
    let host = expand(&smtp.host, vars)?;
    let mut email = lettre::Message::builder()
        .from(mailbox(&expand(&smtp.from, vars)?)?)
        .subject(m.subject.clone());
    for to in &smtp.to {
        email = email.to(mailbox(&expand(to, vars)?)?);
    }
    let email = email
        .header(ContentType::TEXT_PLAIN)
        .body(m.text.clone())
        .map_err(|e| format!("the email could not be written: {e}"))?;
    let builder = if smtp.starttls {
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)
            .map_err(|e| format!("{host}: {e}"))?
    } else {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
    };
    let mut builder = builder.port(smtp.port).timeout(Some(TIMEOUT));
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(
            expand(user, vars)?,
            expand(password, vars)?,
        ));
    }
    let mailer = builder.build();
    mailer
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| describe(&host, smtp.port, &e))
}

/// The server's refusal or the connection's failure, in a line.
fn describe(host: &str, port: u16, e: &lettre::transport::smtp::Error) -> String {
    if let Some(code) = e.status() {
        return format!("{host}:{port} refused it: SMTP {code}");
    }
    if e.is_timeout() {
        return format!("{host}:{port}: timeout");
    }
    let mut why = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        why = s.to_string();
        source = s.source();
    }
    format!("{host}:{port}: {why}")
}
