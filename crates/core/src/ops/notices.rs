//! Telling the admin what happened while nobody watched: after a scheduled run, a desktop
//! notice when it failed or held deactivations back; after any run that wrote, the email
//! report the connection's `[notify.email]` asks for; a scheduled run that could not start,
//! recorded in the history and told; the secret-expiry reminders due today; and who is told
//! (the `[notify]` settings as the window edits them, checked by field).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{ErrorCode, OpError, OpResult, SecretTarget, Workspace};
use crate::history::Trigger;
use crate::ledger::{Ledger, LedgerError};
use crate::mail::{self, Email};
use crate::notices::{self, Notice, Notifier};
use crate::profile::{EmailWhen, NotifySettings, Profile};
use crate::records::ReadProblem;
use crate::secret::{SecretKind, SecretUseError};
use crate::sync::SyncReport;

/// Which input of the notifications step a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NotifyField {
    To,
    From,
    Server,
    Port,
    User,
    Password,
}

/// A problem with something typed on the notifications step, shown next to its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NotifyFieldProblem {
    pub field: NotifyField,
    pub message: String,
}

/// Who hears about a connection's runs: its `[notify]` settings, and whether the mail
/// server's password is stored for the server and user they name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NotifySetup {
    pub settings: NotifySettings,
    pub password_stored: bool,
}

/// The notifications step as the admin filled it in. `password`: a newly typed mail
/// password; none keeps the stored one. (No `Debug`: it may hold the password.)
#[derive(Clone, Deserialize, ts_rs::TS)]
pub struct NotifyChoice {
    pub settings: NotifySettings,
    #[serde(default)]
    pub password: Option<String>,
}

impl NotifyChoice {
    /// The typed password, when one was typed (surrounding line breaks dropped).
    fn typed_password(&self) -> Option<&str> {
        self.password
            .as_deref()
            .map(|password| password.trim_end_matches(['\r', '\n']))
            .filter(|password| !password.is_empty())
    }
}

impl Workspace {
    /// The same workspace showing notices through `notifier` (by default the desktop's
    /// notification service; tests keep them in a `MemoryNotifier`).
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Workspace {
        self.notifier = notifier;
        self
    }

    /// Shows `notice` on the desktop when the connection wants desktop notices. A notice
    /// that cannot be shown is logged, never a reason for the run to fail.
    async fn show(&self, profile: &Profile, notice: &Notice) {
        if !profile.notify.desktop {
            return;
        }
        let notifier = self.notifier.clone();
        let shown = notice.clone();
        let outcome = tokio::task::spawn_blocking(move || notifier.notify(&shown)).await;
        match outcome {
            Ok(Ok(())) => {
                tracing::info!(connection = %profile.name, kind = ?notice.kind, "notice shown");
            }
            Ok(Err(problem)) => {
                tracing::warn!(connection = %profile.name, %problem, "notice not shown");
            }
            Err(error) => {
                tracing::warn!(connection = %profile.name, %error, "notice not shown");
            }
        }
    }

    /// Sends `email` as the connection's `[notify.email]` says; `Ok(false)` when it has
    /// none. The password comes from the keychain, only for the server and user it was
    /// entered for.
    async fn email(&self, profile: &Profile, email: &Email) -> OpResult<bool> {
        let Some(settings) = &profile.notify.email else {
            return Ok(false);
        };
        let password = if settings.user.is_some() {
            match crate::secret::read_for_profile(self.secrets(), profile, SecretKind::Mail) {
                Ok(password) => password,
                Err(SecretUseError::Keychain(error)) => {
                    return Err(OpError::new(ErrorCode::Keychain, error.to_string()));
                }
                Err(error) => return Err(OpError::new(ErrorCode::Mail, error.to_string())),
            }
        } else {
            None
        };
        mail::send(&profile.name, settings, password.as_ref(), email)
            .await
            .map_err(|error| OpError::new(ErrorCode::Mail, error.to_string()))?;
        tracing::info!(connection = %profile.name, subject = %email.subject, "report emailed");
        Ok(true)
    }

    /// After a run that wrote: the desktop notice (scheduled runs) and the email report.
    /// A report email that could not be sent becomes a problem of the run, in the history
    /// too, so the admin sees it on the home screen.
    pub(super) async fn tell_run(&self, profile: &Profile, report: &mut SyncReport) {
        if report.dry_run {
            return;
        }
        let notice = notices::for_run(&profile.name, report);
        if let Some(notice) = &notice
            && report.trigger == Trigger::Schedule
        {
            self.show(profile, notice).await;
        }
        let wanted = profile
            .notify
            .email
            .as_ref()
            .is_some_and(|email| email.when == EmailWhen::EveryRun || notice.is_some());
        if !wanted {
            return;
        }
        let email = mail::run_email(&profile.name, report, notice.as_ref());
        if let Err(error) = self.email(profile, &email).await {
            tracing::warn!(connection = %profile.name, problem = %error.message, "report not emailed");
            let problem = ReadProblem {
                code: crate::sync::REPORT_NOT_EMAILED.into(),
                message: error.message,
            };
            if let Ok(ledger) = self.ledger(&profile.name) {
                let _ = ledger.add_run_problems(report.run, std::slice::from_ref(&problem));
            }
            report.problems.insert(0, problem);
        }
    }

    /// A scheduled run of `name` that could not start: recorded in its history (unless it
    /// was skipped for another run, which is recorded already) and told on the desktop and
    /// by email.
    pub(super) async fn tell_refused(&self, name: &str, error: &OpError) {
        if matches!(error.code, ErrorCode::Busy | ErrorCode::ProfileNotFound) {
            return;
        }
        let Ok(profile) = self.profile(name) else {
            return;
        };
        let recorded = self
            .ledger(&profile.name)
            .and_then(|ledger| {
                ledger
                    .record_failed_run(Trigger::Schedule, &error.message, self.clock().now())
                    .map_err(super::sync::ledger_error)
            })
            .map_err(|problem| {
                tracing::warn!(connection = %profile.name, problem = %problem.message, "refused run not recorded");
            });
        let notice = notices::for_refused_run(&profile.name, &error.message);
        self.show(&profile, &notice).await;
        if profile.notify.email.is_some()
            && let Err(problem) = self.email(&profile, &mail::notice_email(&notice)).await
        {
            tracing::warn!(connection = %profile.name, problem = %problem.message, "notice not emailed");
            if let Ok(run) = recorded
                && let Ok(ledger) = self.ledger(&profile.name)
            {
                let _ = ledger.add_run_problems(
                    run,
                    &[ReadProblem {
                        code: crate::sync::REPORT_NOT_EMAILED.into(),
                        message: problem.message,
                    }],
                );
            }
        }
    }

    /// Sends the secret-expiry reminders due today for every connection (30, 14, 7 and 1
    /// days before, and once it has expired; each once per expiry date), on the desktop and
    /// by email where the connection has it. Returns the reminders sent. The window calls it
    /// at start, and every scheduled run for its own connection.
    pub async fn send_reminders(&self) -> OpResult<Vec<Notice>> {
        let mut sent = Vec::new();
        for name in self.profiles().list().map_err(super::profile_error)? {
            if let Ok(profile) = self.profile(&name)
                && let Some(notice) = self.remind(&profile).await?
            {
                sent.push(notice);
            }
        }
        Ok(sent)
    }

    /// The reminder due today for `profile`'s client secret, sent and recorded; `None` when
    /// none is due or its expiry date is not known.
    pub(super) async fn remind(&self, profile: &Profile) -> OpResult<Option<Notice>> {
        let Some(expires) = profile.entra.secret_expires else {
            return Ok(None);
        };
        let today = self.clock().now().date_naive();
        let ledger = self.ledger(&profile.name)?;
        let key = expires.to_string();
        let already = ledger
            .reminders_sent(&key)
            .map_err(super::sync::ledger_error)?;
        let Some(days) = notices::reminder_due(expires, today, &already) else {
            return Ok(None);
        };
        let notice = notices::expiry_reminder(&profile.name, expires, today);
        ledger
            .record_reminder(&key, days, self.clock().now())
            .map_err(super::sync::ledger_error)?;
        self.show(profile, &notice).await;
        if profile.notify.email.is_some()
            && let Err(problem) = self.email(profile, &mail::notice_email(&notice)).await
        {
            tracing::warn!(connection = %profile.name, problem = %problem.message, "reminder not emailed");
        }
        Ok(Some(notice))
    }

    /// Sends a test email through the connection's `[notify.email]`, so the admin can see
    /// the settings work before a run depends on them.
    pub async fn send_test_email(&self, name: &str) -> OpResult<()> {
        let profile = self.profile(name)?;
        let email = Email {
            subject: format!("Rollcall: test email for \"{}\"", profile.name),
            body: format!(
                "This is a test from Rollcall. Run reports of \"{}\" will come to this address.\r\n",
                profile.name
            ),
        };
        if self.email(&profile, &email).await? {
            Ok(())
        } else {
            Err(OpError::new(
                ErrorCode::Mail,
                format!(
                    "\"{}\" has no email settings. Add them under Edit → Notifications in the window, or as a [notify.email] table in its profile (to, from, server, and user with the password stored by `rollcall secret set {} mail`).",
                    profile.name, profile.name
                ),
            ))
        }
    }
}

impl Workspace {
    /// The connection's `[notify]` settings and whether its mail password is stored.
    pub fn notify_setup(&self, name: &str) -> OpResult<NotifySetup> {
        let profile = self.profile(name)?;
        Ok(NotifySetup {
            password_stored: self.mail_password_stored(&profile)?,
            settings: profile.notify,
        })
    }

    /// Checks the notifications step as typed, field by field, with the rules the profile
    /// file is checked by; no network. A sign-in user needs a password, typed now or
    /// stored for that same server and user.
    pub fn check_notify(
        &self,
        name: &str,
        choice: &NotifyChoice,
    ) -> OpResult<Vec<NotifyFieldProblem>> {
        let mut profile = self.profile(name)?;
        let Some(email) = &choice.settings.email else {
            return Ok(Vec::new());
        };
        if let Some((key, message)) = email.problem() {
            let field = match key {
                "to" => NotifyField::To,
                "from" => NotifyField::From,
                "server" => NotifyField::Server,
                "port" => NotifyField::Port,
                _ => NotifyField::User,
            };
            return Ok(vec![NotifyFieldProblem { field, message }]);
        }
        if email.user.is_none() || choice.typed_password().is_some() {
            return Ok(Vec::new());
        }
        profile.notify = choice.settings.clone();
        if self.mail_password_stored(&profile)? {
            return Ok(Vec::new());
        }
        Ok(vec![NotifyFieldProblem {
            field: NotifyField::Password,
            message: format!(
                "Enter the password {} signs in to {} with. (A password stored earlier was for another server or user, or none is stored.)",
                email.user.as_deref().unwrap_or_default(),
                email.server
            ),
        }])
    }

    /// Saves the notifications step: the `[notify]` settings in the profile and a typed
    /// password in the keychain, bound to the server and user. Nothing is saved while a
    /// field has a problem.
    pub fn save_notify(&self, name: &str, choice: NotifyChoice) -> OpResult<NotifySetup> {
        if let Some(problem) = self.check_notify(name, &choice)?.into_iter().next() {
            return Err(OpError::new(ErrorCode::ProfileInvalid, problem.message));
        }
        let password = choice.typed_password().map(str::to_string);
        self.edit_profile(name, |loaded| loaded.notify = choice.settings.clone())?;
        if let Some(password) = password
            && choice
                .settings
                .email
                .as_ref()
                .is_some_and(|email| email.user.is_some())
        {
            self.store_secret(name, SecretTarget::Mail, &password)?;
        }
        self.notify_setup(name)
    }

    /// Whether the mail password is stored for what `profile`'s `[notify.email]` names now.
    fn mail_password_stored(&self, profile: &Profile) -> OpResult<bool> {
        let wants_one = profile
            .notify
            .email
            .as_ref()
            .is_some_and(|email| email.user.is_some());
        if !wants_one {
            return Ok(false);
        }
        match crate::secret::read_for_profile(self.secrets(), profile, SecretKind::Mail) {
            Ok(stored) => Ok(stored.is_some()),
            Err(SecretUseError::Keychain(error)) => {
                Err(OpError::new(ErrorCode::Keychain, error.to_string()))
            }
            Err(_) => Ok(false),
        }
    }
}

impl Ledger {
    /// The reminders already sent for a secret expiring on `expires` (days before expiry).
    pub fn reminders_sent(&self, expires: &str) -> Result<Vec<i64>, LedgerError> {
        let connection = self.lock();
        let mut statement = connection.prepare("SELECT days FROM reminders WHERE expires = ?1")?;
        let rows = statement.query_map(rusqlite::params![expires], |row| row.get(0))?;
        let mut days = Vec::new();
        for row in rows {
            days.push(row?);
        }
        Ok(days)
    }

    /// Records that the reminder `days` before `expires` was sent.
    pub fn record_reminder(
        &self,
        expires: &str,
        days: i64,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), LedgerError> {
        self.lock().execute(
            "INSERT OR IGNORE INTO reminders (expires, days, sent_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![expires, days, crate::ledger::timestamp(at)],
        )?;
        Ok(())
    }
}
