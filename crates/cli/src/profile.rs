//! `rollcall profile import FILE.toml | export NAME | list`: moving integration settings in and
//! out of the data directory. Profiles hold no secrets, so exports are safe to share.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use rollcall_core::ops::{ProfileSummary, Workspace};

use crate::eprint_line;
use crate::output::{answer, fail, print};

#[derive(Debug, Args)]
pub(crate) struct ProfileArgs {
    #[command(subcommand)]
    action: ProfileAction,
}

#[derive(Debug, Subcommand)]
enum ProfileAction {
    /// Check a profile file and add it to the data directory, disabled. A profile of the same
    /// name is replaced only with --replace.
    Import {
        /// The TOML file to import.
        file: PathBuf,
        /// Replace a profile of the same name (its secrets are kept only when it still signs
        /// in to the same place).
        #[arg(long)]
        replace: bool,
    },
    /// Print a profile as TOML.
    Export {
        /// The profile's name.
        name: String,
    },
    /// List the profiles.
    List {
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn execute(args: &ProfileArgs, ws: &Workspace, out: &mut dyn Write) -> u8 {
    match &args.action {
        ProfileAction::Import { file, replace } => match ws.import_profile_with(file, *replace) {
            Ok(profile) => {
                if profile.entra.cloud == rollcall_core::profile::CloudKey::Custom {
                    eprint_line(&format!(
                        "Warning: this profile signs in at a custom address ({}), not a Microsoft cloud. Store a secret for it only if you trust that address.",
                        profile
                            .entra
                            .authority_url
                            .as_deref()
                            .unwrap_or("not given")
                    ));
                }
                let state = if profile.enabled {
                    "enabled"
                } else {
                    "disabled until you enable it"
                };
                eprint_line(&format!(
                    "Imported profile \"{}\" ({state}). Store its client secret with: rollcall secret set {} graph",
                    profile.name, profile.name
                ));
                print(out, &profile.name)
            }
            Err(error) => fail(&error),
        },
        ProfileAction::Export { name } => match ws.export_profile(name) {
            Ok(text) => print(out, text.trim_end()),
            Err(error) => fail(&error),
        },
        ProfileAction::List { json } => match ws.list_profiles() {
            Ok(rows) if rows.is_empty() && !json => {
                eprint_line("No profiles yet. Import one with: rollcall profile import FILE.toml");
                0
            }
            Ok(rows) => answer(out, *json, &rows, |rows| {
                rows.iter().map(line).collect::<Vec<_>>().join("\n")
            }),
            Err(error) => fail(&error),
        },
    }
}

fn line(row: &ProfileSummary) -> String {
    match row {
        ProfileSummary::Valid {
            name,
            enabled,
            tenant,
            ..
        } => format!(
            "{name}\t{}\t{tenant}",
            if *enabled { "enabled" } else { "disabled" }
        ),
        ProfileSummary::Broken { name, error } => format!("{name}\tcannot be read: {error}"),
    }
}
