//! `rollcall preview NAME [--json] [--csv FILE]`: brings the profile's cache up to date from
//! Entra and prints who the scope selects, why, and what is wrong with their data. Progress
//! goes to stderr. Exit status 0 when the read was complete and the scope has no problems,
//! 1 when the read was incomplete or problems were found, 2 for bad usage.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use rollcall_core::clock::SystemClock;
use rollcall_core::data_dir::{DataDir, Mode};
use rollcall_core::directory::{GroupScope, refresh};
use rollcall_core::graph::GraphClient;
use rollcall_core::preview::Preview;
use rollcall_core::secret::{Keychain, SecretStore};
use rollcall_core::store::Store;

use crate::profile::{load_profile, print};
use crate::{EXIT_PROBLEMS, EXIT_USAGE, command_runtime, eprint_line};

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

pub(crate) fn run(args: &PreviewArgs, data_dir: Option<&Path>) -> u8 {
    execute(args, data_dir, &Keychain::new(), &mut std::io::stdout())
}

pub(crate) fn execute(
    args: &PreviewArgs,
    data_dir: Option<&Path>,
    secrets: &dyn SecretStore,
    out: &mut dyn Write,
) -> u8 {
    let profile = match load_profile(data_dir, &args.name) {
        Ok(profile) => profile,
        Err(status) => return status,
    };
    let scope = match GroupScope::from_settings(&profile.scope) {
        Ok(scope) => scope,
        Err(error) => {
            eprint_line(&format!("The profile's [scope] cannot be used: {error}"));
            return EXIT_USAGE;
        }
    };
    let dir = match DataDir::resolve(data_dir, Mode::Real) {
        Ok(dir) => dir,
        Err(error) => {
            eprint_line(&error.to_string());
            return EXIT_USAGE;
        }
    };
    let mut store = match Store::for_profile(&dir, &profile.name) {
        Ok(store) => store,
        Err(error) => {
            eprint_line(&error.to_string());
            return EXIT_PROBLEMS;
        }
    };
    let clock = Arc::new(SystemClock);
    let client = match GraphClient::for_profile(&profile, secrets, clock.clone()) {
        Ok(client) => client.with_progress(Arc::new(|progress| {
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
        })),
        Err(message) => {
            eprint_line(&format!(
                "Rollcall cannot connect for \"{}\": {message}",
                profile.name
            ));
            return EXIT_PROBLEMS;
        }
    };
    let runtime = match command_runtime("the read") {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    eprint_line(&format!("Reading the directory for \"{}\"…", profile.name));
    match runtime.block_on(refresh(
        &client,
        &mut store,
        &scope,
        &profile.mapping,
        clock,
    )) {
        Ok(report) => eprint_line(&format!(
            "Read finished: {} requests, {:.1} s.",
            report.requests,
            report.elapsed_ms as f64 / 1000.0
        )),
        Err(error) => eprint_line(&format!(
            "The read did not finish: {error} The preview below comes from the last complete read, if any."
        )),
    }
    let preview = match Preview::from_store(&store, &scope, &profile.mapping) {
        Ok(preview) => preview,
        Err(error) => {
            eprint_line(&error.to_string());
            return EXIT_PROBLEMS;
        }
    };
    if let Some(path) = &args.csv
        && let Err(error) = std::fs::write(path, preview.to_csv())
    {
        eprint_line(&format!(
            "Could not write {}: {error}. Check that the folder exists and is writable.",
            path.display()
        ));
        return EXIT_USAGE;
    }
    let text = if args.json {
        match serde_json::to_string_pretty(&preview) {
            Ok(json) => json,
            Err(error) => {
                eprint_line(&format!("Could not write the preview as JSON: {error}"));
                return EXIT_PROBLEMS;
            }
        }
    } else {
        describe(&preview)
    };
    let printed = print(out, &text);
    if printed != 0 {
        return printed;
    }
    if preview.complete && preview.problems.is_empty() {
        0
    } else {
        EXIT_PROBLEMS
    }
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
    use rollcall_core::secret::{MemoryKeychain, Secret, SecretKind};
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
        let secrets = MemoryKeychain::new();
        secrets
            .store(
                "school",
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
        let status = execute(&args, Some(data.path()), &secrets, &mut out);
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
        assert_eq!(
            execute(&missing, Some(data.path()), &secrets, &mut out),
            EXIT_USAGE
        );
    }
}
