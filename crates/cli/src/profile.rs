//! `rollcall profile import FILE.toml | export NAME | list`: moving integration settings in and
//! out of the data directory. Profiles hold no secrets, so exports are safe to share.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use rollcall_core::data_dir::{DataDir, Mode};
use rollcall_core::profile::{Profile, ProfileError, ProfileStore};

use crate::{EXIT_PROBLEMS, EXIT_USAGE, eprint_line};

/// Exit status when the command ran but could not finish (a file could not be written).

#[derive(Debug, Args)]
pub(crate) struct ProfileArgs {
    #[command(subcommand)]
    action: ProfileAction,
}

#[derive(Debug, Subcommand)]
enum ProfileAction {
    /// Check a profile file and add it to the data directory (replacing one of the same name).
    Import {
        /// The TOML file to import.
        file: PathBuf,
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

/// Opens the profiles of the data directory, or says why not.
pub(crate) fn open_store(data_dir: Option<&Path>) -> Result<ProfileStore, u8> {
    match DataDir::resolve(data_dir, Mode::Real) {
        Ok(dir) => Ok(ProfileStore::new(&dir)),
        Err(error) => {
            eprint_line(&error.to_string());
            Err(EXIT_USAGE)
        }
    }
}

/// Loads the profile `name` from the data directory; a problem is reported and becomes the
/// exit status.
pub(crate) fn load_profile(data_dir: Option<&Path>, name: &str) -> Result<Profile, u8> {
    open_store(data_dir)?
        .load(name)
        .map_err(|error| report_error(&error))
}

/// The exit status for a profile problem: the admin's input (2) or the computer (1).
pub(crate) fn report_error(error: &ProfileError) -> u8 {
    eprint_line(&error.to_string());
    match error {
        ProfileError::Invalid { .. }
        | ProfileError::BadName { .. }
        | ProfileError::NotFound { .. }
        | ProfileError::Read { .. } => EXIT_USAGE,
        ProfileError::Write { .. } | ProfileError::Encode(_) => EXIT_PROBLEMS,
    }
}

pub(crate) fn run(args: &ProfileArgs, data_dir: Option<&Path>) -> u8 {
    execute(args, data_dir, &mut std::io::stdout())
}

pub(crate) fn execute(args: &ProfileArgs, data_dir: Option<&Path>, out: &mut dyn Write) -> u8 {
    let store = match open_store(data_dir) {
        Ok(store) => store,
        Err(status) => return status,
    };
    match &args.action {
        ProfileAction::Import { file } => match store.import(file) {
            Ok(profile) => {
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
            Err(error) => {
                let file = file.display();
                eprint_line(&format!("{file} was not imported."));
                report_error(&error)
            }
        },
        ProfileAction::Export { name } => match store.export(name) {
            Ok(text) => print(out, text.trim_end()),
            Err(error) => report_error(&error),
        },
        ProfileAction::List { json } => {
            let names = match store.list() {
                Ok(names) => names,
                Err(error) => return report_error(&error),
            };
            let mut rows = Vec::new();
            for name in &names {
                match store.load(name) {
                    Ok(profile) => rows.push(Row::Valid(Box::new(profile))),
                    Err(error) => rows.push(Row::Broken(name.clone(), error.to_string())),
                }
            }
            if *json {
                let list: Vec<serde_json::Value> = rows.iter().map(Row::json).collect();
                match serde_json::to_string_pretty(&list) {
                    Ok(text) => print(out, &text),
                    Err(error) => {
                        eprint_line(&format!("Could not write the list as JSON: {error}"));
                        EXIT_PROBLEMS
                    }
                }
            } else if rows.is_empty() {
                eprint_line("No profiles yet. Import one with: rollcall profile import FILE.toml");
                0
            } else {
                let text: Vec<String> = rows.iter().map(Row::line).collect();
                print(out, &text.join("\n"))
            }
        }
    }
}

enum Row {
    Valid(Box<Profile>),
    Broken(String, String),
}

impl Row {
    fn json(&self) -> serde_json::Value {
        match self {
            Row::Valid(profile) => serde_json::json!({
                "name": profile.name,
                "enabled": profile.enabled,
                "cloud": profile.entra.cloud,
                "tenant": profile.entra.tenant,
                "client_id": profile.entra.client_id,
            }),
            Row::Broken(name, error) => serde_json::json!({ "name": name, "error": error }),
        }
    }

    fn line(&self) -> String {
        match self {
            Row::Valid(profile) => format!(
                "{}\t{}\t{}",
                profile.name,
                if profile.enabled {
                    "enabled"
                } else {
                    "disabled"
                },
                profile.entra.tenant
            ),
            Row::Broken(name, error) => format!("{name}\tcannot be read: {error}"),
        }
    }
}

/// Writes a line to stdout; a closed pipe is a failure of the command.
pub(crate) fn print(out: &mut dyn Write, text: &str) -> u8 {
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(_) => EXIT_PROBLEMS,
    }
}
