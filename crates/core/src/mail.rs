//! The run report by email (`[notify.email]`): the message (the run's counts, what was held
//! back, who could not be synced, the problems; never a secret), and sending it over SMTP
//! with STARTTLS required (never in the clear), trusting the system's certificates, signed
//! in with the password from the keychain. Failures come back in words an admin can act on.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::notices::Notice;
use crate::profile::EmailSettings;
use crate::secret::Secret;
use crate::sync::SyncReport;

/// How long talking to the mail server may take.
const MAIL_TIMEOUT: Duration = Duration::from_secs(30);

/// People listed by name in the email; the rest are counted.
const PEOPLE_LISTED: usize = 20;

/// Whether `address` is an email address the mail server can take.
pub fn check_address(address: &str) -> Result<(), String> {
    address.parse::<Mailbox>().map(|_| ()).map_err(|_| {
        format!(
            "\"{address}\" is not an email address. Write it as name@example.com (one address per entry)."
        )
    })
}

/// An email to send: its subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub body: String,
}

/// The report of a finished run, as an email.
pub fn run_email(connection: &str, report: &SyncReport, notice: Option<&Notice>) -> Email {
    let applied = &report.applied;
    let outcome = match notice {
        Some(notice) => notice.title.clone(),
        None => format!("Rollcall: the sync of \"{connection}\" went through"),
    };
    let mut lines = vec![
        format!(
            "Run {} of \"{connection}\" ({} to {}).",
            report.run, report.started_at, report.finished_at
        ),
        String::new(),
        format!("Created:      {}", applied.create),
        format!("Linked:       {}", applied.adopt),
        format!("Updated:      {}", applied.update),
        format!("Switched on:  {}", applied.reactivate),
        format!("Switched off: {}", applied.deactivate),
        format!("Unchanged:    {}", report.unchanged),
        format!("Not synced:   {}", report.errors.len()),
    ];
    if let Some(notice) = notice {
        lines.extend([String::new(), notice.body.clone()]);
    }
    if !report.blocked.is_empty() {
        lines.extend([String::new(), "Held back:".to_string()]);
        lines.extend(
            report
                .blocked
                .iter()
                .map(|hold| format!("- {}", hold.message)),
        );
    }
    if !report.errors.is_empty() {
        lines.extend([String::new(), "Could not be synced:".to_string()]);
        lines.extend(
            report
                .errors
                .iter()
                .take(PEOPLE_LISTED)
                .map(|error| format!("- {}: {}", error.user, error.message)),
        );
        if report.errors.len() > PEOPLE_LISTED {
            lines.push(format!(
                "- and {} more (see the run in Rollcall's history).",
                report.errors.len() - PEOPLE_LISTED
            ));
        }
    }
    if !report.problems.is_empty() {
        lines.extend([String::new(), "Problems:".to_string()]);
        lines.extend(
            report
                .problems
                .iter()
                .map(|problem| format!("- {}", problem.message)),
        );
    }
    lines.extend([
        String::new(),
        "Sent by Rollcall. Open Rollcall to see the run in full.".to_string(),
    ]);
    Email {
        subject: outcome,
        body: lines.join("\r\n"),
    }
}

/// A notice that is not about a finished run (a run that did not start, a secret about to
/// expire), as an email.
pub fn notice_email(notice: &Notice) -> Email {
    Email {
        subject: notice.title.clone(),
        body: format!("{}\r\n\r\nSent by Rollcall.", notice.body),
    }
}

/// Why an email could not be sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailError {
    #[error(
        "The mail server {server} refused the user name or password for \"{user}\", so the run report was not emailed. Check the user name, and enter the password again under Edit → Notifications (or with `rollcall secret set {connection} mail`)."
    )]
    SignInRefused {
        server: String,
        user: String,
        connection: String,
    },
    #[error(
        "The mail server {server} asks Rollcall to sign in, but no password is stored. Enter it with `rollcall secret set {connection} mail`, or set `user` in [notify.email]."
    )]
    NoPassword { server: String, connection: String },
    #[error(
        "Rollcall could not talk securely to the mail server {server} ({detail}). Rollcall only sends mail over an encrypted connection (STARTTLS). Check the server name and port (usually 587) with your mail provider."
    )]
    NotSecure { server: String, detail: String },
    #[error(
        "Rollcall could not reach the mail server {server} on port {port} ({detail}). Check the server name and port, and that this computer may send mail."
    )]
    Unreachable {
        server: String,
        port: u16,
        detail: String,
    },
    #[error("The mail server {server} did not take the report: {detail}")]
    Refused { server: String, detail: String },
    #[error(
        "The email settings of \"{connection}\" cannot be used: {detail}. Fix [notify.email] in the connection's settings."
    )]
    Settings { connection: String, detail: String },
}

/// Sends `email` as `settings` say, signing in with `password` when `settings.user` is set.
pub async fn send(
    connection: &str,
    settings: &EmailSettings,
    password: Option<&Secret>,
    email: &Email,
) -> Result<(), MailError> {
    let settings_error = |detail: String| MailError::Settings {
        connection: connection.to_string(),
        detail,
    };
    let mut builder = Message::builder()
        .from(
            settings
                .from
                .parse::<Mailbox>()
                .map_err(|error| settings_error(error.to_string()))?,
        )
        .subject(email.subject.clone())
        .header(ContentType::TEXT_PLAIN);
    for to in &settings.to {
        builder = builder.to(to
            .parse::<Mailbox>()
            .map_err(|error| settings_error(error.to_string()))?);
    }
    let message = builder
        .body(email.body.clone())
        .map_err(|error| settings_error(error.to_string()))?;
    let server = settings.server.clone();
    let tls = TlsParameters::new(server.clone()).map_err(|error| MailError::NotSecure {
        server: server.clone(),
        detail: error.to_string(),
    })?;
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.as_str())
        .port(settings.port)
        .tls(Tls::Required(tls))
        .timeout(Some(MAIL_TIMEOUT));
    if let Some(user) = &settings.user {
        let Some(password) = password else {
            return Err(MailError::NoPassword {
                server,
                connection: connection.to_string(),
            });
        };
        transport = transport.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    let transport = transport.build();
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|error| explain(connection, settings, &error))
}

/// The SMTP failure in words.
fn explain(
    connection: &str,
    settings: &EmailSettings,
    error: &lettre::transport::smtp::Error,
) -> MailError {
    let server = settings.server.clone();
    let code = error.status().map(|code| code.to_string());
    let detail = plain_detail(error);
    match code.as_deref() {
        Some("535" | "534" | "530") => MailError::SignInRefused {
            server,
            user: settings.user.clone().unwrap_or_default(),
            connection: connection.to_string(),
        },
        Some(_) => MailError::Refused { server, detail },
        None if error.is_tls() || detail.to_ascii_lowercase().contains("tls") => {
            MailError::NotSecure { server, detail }
        }
        None => MailError::Unreachable {
            server,
            port: settings.port,
            detail,
        },
    }
}

/// The error and its causes on one line.
fn plain_detail(error: &lettre::transport::smtp::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_with_a_way_out() {
        assert!(check_address("it@school.example").is_ok());
        assert!(check_address("IT Team <it@school.example>").is_ok());
        let message = check_address("it at school").unwrap_err();
        assert!(message.contains("name@example.com"), "{message}");
    }
}
