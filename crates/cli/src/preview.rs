//! `rollcall preview NAME [--json] [--csv FILE]`: brings the profile's cache up to date from
//! Entra and prints who the scope selects, why, and what is wrong with their data. Progress
//! goes to stderr. Exit status 0 when the read was complete and the scope has no problems,
//! 1 when the read was incomplete or problems were found, 2 for bad usage.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rollcall_core::graph::ReadProgress;
use rollcall_core::ops::{ExportTo, ReadObserver, Workspace};
use rollcall_core::preview::Preview;

use crate::output::{answer, fail, worst};
use crate::{EXIT_PROBLEMS, command_runtime, eprint_line};

#[derive(Debug, Args)]
pub(crate) struct PreviewArgs {
    /// The profile whose scope to preview.
    name: String,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Also write the people in scope to FILE as CSV.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
}

/// Progress on the terminal: stage, people, pages, time so far and time left.
pub(crate) fn progress_line(progress: &ReadProgress) {
    let left = progress
        .time_left_ms
        .map(|left| format!(", about {:.0} s left", (left as f64 / 1000.0).ceil()))
        .unwrap_or_default();
    eprint_line(&format!(
        "{} — {} people, {} pages, {:.1} s{left}",
        progress.stage,
        progress.users,
        progress.pages,
        progress.elapsed_ms as f64 / 1000.0
    ));
}

pub(crate) fn execute(args: &PreviewArgs, ws: &Workspace, out: &mut dyn Write) -> u8 {
    let runtime = match command_runtime("the read") {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    let observer = ReadObserver {
        progress: Some(Arc::new(progress_line)),
        ..ReadObserver::default()
    };
    eprint_line(&format!("Reading the directory for \"{}\"…", args.name));
    let preview = match runtime.block_on(ws.read_preview(&args.name, None, observer)) {
        Ok(preview) => preview,
        Err(error) => return fail(&error),
    };
    if let Some(path) = &args.csv {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        if let Err(error) = ws.write_preview_csv(&args.name, &preview, &ExportTo::File(path)) {
            return fail(&error);
        }
    }
    let verdict = if preview.complete && preview.problems.is_empty() {
        0
    } else {
        EXIT_PROBLEMS
    };
    worst(answer(out, args.json, &preview, describe), verdict)
}

fn describe(preview: &Preview) -> String {
    let mut lines = Vec::new();
    if !preview.complete {
        lines.push(format!(
            "! The last read did not finish: {}",
            preview.read_error.as_deref().unwrap_or("unknown reason")
        ));
    }
    for problem in &preview.problems {
        lines.push(format!("! {}", problem.message));
    }
    for user in &preview.users {
        let status = if user.enabled { "" } else { " (disabled)" };
        let warnings = if user.warnings.is_empty() {
            String::new()
        } else {
            format!(
                "  [{}]",
                user.warnings
                    .iter()
                    .map(|warning| warning.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        lines.push(format!(
            "{} <{}>{status}{warnings}",
            user.display_name, user.email
        ));
        for path in &user.paths {
            lines.push(format!("    via {}", path.join(" → ")));
        }
    }
    let totals = &preview.totals;
    lines.push(format!(
        "{} people in scope: {} enabled, {} disabled, {} guests; {} kept out by exclude groups, {} guests left out.",
        totals.matched,
        totals.enabled,
        totals.disabled,
        totals.guests,
        totals.excluded,
        totals.guests_left_out
    ));
    for (code, count) in &totals.warnings {
        lines.push(format!("  {code}: {count}"));
    }
    for (kind, count) in &preview.skipped {
        lines.push(format!("  skipped {kind} members: {count}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rollcall_core::data_dir::{DataDir, Mode};
    use rollcall_core::ops::EXIT_USAGE;
    use rollcall_core::profile::Profile;
    use rollcall_core::secret::{MemoryKeychain, Secret, SecretKind, store_for_profile};
    use rollcall_sandbox::{AppState, Dataset, Sandbox, SandboxOptions};

    use super::*;

    /// A folder under the system's temporary directory, removed when dropped.
    struct TempFolder(PathBuf);

    impl TempFolder {
        fn new() -> TempFolder {
            let path = std::env::temp_dir().join(format!(
                "rollcall-preview-test-{}-{}",
                std::process::id(),
                uuid_like()
            ));
            std::fs::create_dir_all(&path).unwrap();
            TempFolder(path)
        }

        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFolder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn uuid_like() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or(0)
    }

    fn profile_text(sandbox: &Sandbox, client_id: &str, include: &str) -> String {
        let info = sandbox.info();
        format!(
            "name = \"school\"\n\n[entra]\ncloud = \"custom\"\ntenant = \"{}\"\nclient_id = \"{client_id}\"\nauthority_url = \"{}\"\ngraph_url = \"{}\"\n\n[scope]\ninclude_groups = [\"{include}\"]\n",
            info.tenant.id, info.authority_url, info.graph_url
        )
    }

    #[test]
    fn preview_prints_json_writes_csv_and_refuses_an_unknown_profile() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let sandbox = runtime
            .block_on(Sandbox::start(SandboxOptions {
                dataset: Dataset::Demo,
                port: 0,
            }))
            .unwrap();
        let app = sandbox
            .info()
            .apps
            .iter()
            .find(|app| app.state == AppState::Healthy)
            .unwrap()
            .clone();
        let include = sandbox.control().group_id("Teaching Staff").unwrap();
        let data = TempFolder::new();
        std::fs::create_dir_all(data.path().join("profiles")).unwrap();
        std::fs::write(
            data.path().join("profiles").join("school.toml"),
            profile_text(&sandbox, &app.client_id, &include),
        )
        .unwrap();
        let secrets = Arc::new(MemoryKeychain::new());
        store_for_profile(
            secrets.as_ref(),
            &Profile::parse(&profile_text(&sandbox, &app.client_id, &include)).unwrap(),
            SecretKind::Graph,
            &Secret::new(app.secret.clone()),
        )
        .unwrap();
        let csv = data.path().join("people.csv");
        let args = PreviewArgs {
            name: "school".into(),
            json: true,
            csv: Some(csv.clone()),
        };
        let mut out = Vec::new();
        let ws = Workspace::new(
            DataDir::at(data.path().to_path_buf(), Mode::Real),
            secrets.clone(),
        );
        let status = execute(&args, &ws, &mut out);
        assert_eq!(status, 0, "{}", String::from_utf8_lossy(&out));
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["complete"], true);
        let matched = json["totals"]["matched"].as_u64().unwrap();
        assert!(matched > 50);
        assert_eq!(json["users"][0]["paths"][0][0], "Teaching Staff");
        let written = std::fs::read_to_string(&csv).unwrap();
        assert_eq!(written.lines().count() as u64, matched + 1);

        let mut out = Vec::new();
        // An unknown profile is bad usage.
        let missing = PreviewArgs {
            name: "nobody".into(),
            json: false,
            csv: None,
        };
        assert_eq!(execute(&missing, &ws, &mut out), EXIT_USAGE);
    }
}
