//! `rollcall notify test-email NAME [--json]` (sends a test email through the profile's
//! `[notify.email]`) and `rollcall notify reminders [--json]` (sends the secret-expiry
//! reminders due today, as the window does at start).

use std::io::Write;

use clap::{Args, Subcommand};
use rollcall_core::notices::Notice;
use rollcall_core::ops::Workspace;

use crate::command_runtime;
use crate::output::{answer, fail};

#[derive(Debug, Args)]
pub(crate) struct NotifyArgs {
    #[command(subcommand)]
    action: NotifyAction,
}

#[derive(Debug, Subcommand)]
enum NotifyAction {
    /// Send a test email through the profile's [notify.email] settings.
    TestEmail {
        /// The profile's name.
        name: String,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Send the client-secret expiry reminders due today (30, 14, 7 and 1 days before).
    Reminders {
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn execute(args: &NotifyArgs, ws: &Workspace, out: &mut dyn Write) -> u8 {
    let runtime = match command_runtime("the notice") {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    match &args.action {
        NotifyAction::TestEmail { name, json } => {
            match runtime.block_on(ws.send_test_email(name)) {
                Ok(()) => answer(out, *json, &(), |()| {
                    format!("The test email for \"{name}\" was sent. Check that it arrived.")
                }),
                Err(error) => fail(&error),
            }
        }
        NotifyAction::Reminders { json } => match runtime.block_on(ws.send_reminders()) {
            Ok(sent) => answer(out, *json, &sent, |sent| describe(sent)),
            Err(error) => fail(&error),
        },
    }
}

fn describe(sent: &[Notice]) -> String {
    if sent.is_empty() {
        return "No reminder is due today.".to_string();
    }
    sent.iter()
        .map(|notice| format!("Sent: {}", notice.title))
        .collect::<Vec<_>>()
        .join("\n")
}
