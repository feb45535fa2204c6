//! `rollcall check NAME [--json]`: runs the connection doctor for one profile and prints the
//! verdict. Exit status 0 when the connection works, 1 when problems were found, 2 when the
//! profile cannot be used at all.

use std::io::Write;

use clap::Args;
use rollcall_core::check::CheckReport;
use rollcall_core::diagnosis::Severity;
use rollcall_core::ops::Workspace;

use crate::output::{answer, fail, worst};
use crate::{EXIT_PROBLEMS, command_runtime, eprint_line};

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The profile to check.
    name: String,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn execute(args: &CheckArgs, ws: &Workspace, out: &mut dyn Write) -> u8 {
    let runtime = match command_runtime("the check") {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    eprint_line(&format!("Checking the connection of \"{}\"…", args.name));
    match runtime.block_on(ws.check_profile(&args.name)) {
        Ok(report) => worst(
            answer(out, args.json, &report, |report| {
                describe(&args.name, report)
            }),
            if report.ok { 0 } else { EXIT_PROBLEMS },
        ),
        Err(error) => fail(&error),
    }
}

/// The verdict in words.
fn describe(name: &str, report: &CheckReport) -> String {
    let errors = report
        .diagnoses
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let mut text = if report.ok {
        format!("✔ The connection of \"{name}\" works.\n")
    } else {
        format!(
            "✘ The connection of \"{name}\" does not work yet: {errors} problem{} to fix.\n",
            if errors == 1 { "" } else { "s" }
        )
    };
    text.push_str(&format!(
        "\nTenant:      {} ({})\n",
        report.tenant.id.as_deref().unwrap_or("not found"),
        report.tenant.name.as_deref().unwrap_or("name unknown"),
    ));
    text.push_str(&format!("Cloud:       {}\n", report.tenant.cloud));
    if !report.permissions.granted.is_empty() || !report.permissions.missing.is_empty() {
        text.push_str(&format!(
            "Permissions: granted {}; missing {}\n",
            list_or_none(&report.permissions.granted),
            list_or_none(&report.permissions.missing)
        ));
    }
    if let Some(date) = report.secret_expires {
        text.push_str(&format!("Secret:      expires {date}\n"));
    }
    for diagnosis in &report.diagnoses {
        let mark = match diagnosis.severity {
            Severity::Error => "Problem",
            Severity::Warning => "Warning",
            Severity::Info => "Note",
        };
        text.push_str(&format!(
            "\n{mark}: {} [{}]\n  Why:  {}\n  Fix:  {}\n",
            diagnosis.title, diagnosis.code, diagnosis.cause, diagnosis.fix
        ));
        if let Some(link) = &diagnosis.link {
            text.push_str(&format!("  Link: {link}\n"));
        }
    }
    text.trim_end().to_string()
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    use clap::Parser;
    use std::sync::Arc;

    use rollcall_core::data_dir::{DataDir, Mode};
    use rollcall_core::profile::ProfileStore;
    use rollcall_core::secret::{
        Keychain, MemoryKeychain, Secret, SecretKind, SecretStore, store_for_profile,
    };
    use rollcall_sandbox::{Dataset, Faults, Sandbox, SandboxOptions};

    use super::*;
    use crate::{Cli, Command, Invocation};

    /// A sandbox on a runtime of its own, so the command under test can run its own.
    struct Running {
        sandbox: Sandbox,
        _runtime: tokio::runtime::Runtime,
    }

    fn start() -> Running {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let sandbox = runtime
            .block_on(Sandbox::start(SandboxOptions {
                dataset: Dataset::Demo,
                port: 0,
            }))
            .unwrap();
        Running {
            sandbox,
            _runtime: runtime,
        }
    }

    /// A fresh, empty data directory removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!(
                "rollcall-cli-check-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }

        fn text(&self) -> String {
            self.0.display().to_string()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const APPS: [(&str, &str); 6] = [
        ("healthy", "Rollcall Sync"),
        ("waiting", "Rollcall Sync (awaiting consent)"),
        ("partial", "Rollcall Sync (users only)"),
        ("expired", "Rollcall Sync (expired secret)"),
        ("disabled", "Rollcall Sync (disabled)"),
        ("expiring", "Rollcall Sync (reads its own expiry)"),
    ];

    /// Imports one profile per sandbox app (plus the foreign tenant and an unknown tenant)
    /// through `profile import`, named `{prefix}{profile}`; returns each profile's secret.
    fn import_profiles(running: &Running, dir: &TempDir, prefix: &str) -> Vec<(String, String)> {
        let info = running.sandbox.info();
        let mut secrets = Vec::new();
        let mut write = |name: &str, tenant: &str, client_id: &str, secret: &str| {
            let file = dir.0.join(format!("{name}.incoming.toml"));
            std::fs::write(
                &file,
                format!(
                    "name = \"{name}\"\n\n[entra]\ncloud = \"custom\"\ntenant = \"{tenant}\"\nclient_id = \"{client_id}\"\nauthority_url = \"{}\"\ngraph_url = \"{}\"\n",
                    info.authority_url, info.graph_url
                ),
            )
            .unwrap();
            let status = crate::run([
                "rollcall",
                "--data-dir",
                &dir.text(),
                "profile",
                "import",
                &file.display().to_string(),
            ]);
            assert_eq!(status, Invocation::Exit(0), "import of {name}");
            std::fs::remove_file(file).unwrap();
            secrets.push((name.to_string(), secret.to_string()));
        };
        for (short, app_name) in APPS {
            let app = info.apps.iter().find(|a| a.name == app_name).unwrap();
            write(
                &format!("{prefix}{short}"),
                &info.tenant.domain,
                &app.client_id,
                &app.secret,
            );
        }
        let healthy = info.apps.iter().find(|a| a.name == APPS[0].1).unwrap();
        write(
            &format!("{prefix}foreign"),
            &info.foreign_tenant.domain,
            &healthy.client_id,
            &healthy.secret,
        );
        write(
            &format!("{prefix}unknown"),
            "nobody.onmicrosoft.com",
            &healthy.client_id,
            &healthy.secret,
        );
        write(
            &format!("{prefix}wrongsecret"),
            &info.tenant.domain,
            &healthy.client_id,
            "xyz1Q~thisIsNotTheSecretOfThisAppAtAll00",
        );
        secrets
    }

    /// Runs `check NAME --json` through the real argument parser, capturing stdout.
    fn check_json(
        dir: &TempDir,
        name: &str,
        secrets: &Arc<MemoryKeychain>,
    ) -> (u8, serde_json::Value) {
        let cli = Cli::try_parse_from([
            "rollcall",
            "--data-dir",
            &dir.text(),
            "check",
            name,
            "--json",
        ])
        .unwrap();
        let Some(Command::Check(args)) = cli.command else {
            panic!("not a check command");
        };
        let mut out = Vec::new();
        let data_dir = DataDir::resolve(cli.data_dir.as_deref(), Mode::Real).unwrap();
        let ws = Workspace::new(data_dir, secrets.clone());
        let status = execute(&args, &ws, &mut out);
        let json = serde_json::from_slice(&out).unwrap_or_else(|error| {
            panic!("not JSON ({error}): {}", String::from_utf8_lossy(&out))
        });
        (status, json)
    }

    fn codes(json: &serde_json::Value) -> Vec<String> {
        json["diagnoses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn json_names_each_problem_and_the_exit_status_follows() {
        let running = start();
        let dir = TempDir::new();
        let keychain = Arc::new(MemoryKeychain::new());
        let profiles = ProfileStore::new(&DataDir::at(dir.0.clone(), Mode::Real));
        for (name, secret) in import_profiles(&running, &dir, "") {
            store_for_profile(
                keychain.as_ref(),
                &profiles.load(&name).unwrap(),
                SecretKind::Graph,
                &Secret::new(secret),
            )
            .unwrap();
        }
        let expected: [(&str, u8, &str); 9] = [
            ("healthy", 0, "secret_expiry_unknown"),
            ("waiting", 1, "admin_consent_missing"),
            ("partial", 1, "group_read_missing"),
            ("expired", 1, "secret_expired"),
            ("disabled", 1, "app_disabled"),
            ("expiring", 0, "secret_expiring"),
            ("foreign", 1, "wrong_cloud"),
            ("unknown", 1, "tenant_not_found"),
            ("wrongsecret", 1, "secret_wrong"),
        ];
        for (name, status, code) in expected {
            let (got, json) = check_json(&dir, name, &keychain);
            assert_eq!(got, status, "{name}: {json:#}");
            assert!(codes(&json).contains(&code.to_string()), "{name}: {json:#}");
            assert_eq!(json["ok"], status == 0, "{name}");
            assert_eq!(json["tenant"]["cloud"], "custom");
            assert!(json["permissions"]["granted"].is_array());
            assert!(json["permissions"]["missing"].is_array());
        }
        let (_, partial) = check_json(&dir, "partial", &keychain);
        assert!(codes(&partial).contains(&"graph_forbidden".to_string()));

        keychain.delete("healthy", SecretKind::Graph).unwrap();
        let (status, json) = check_json(&dir, "healthy", &keychain);
        assert_eq!(
            (status, codes(&json)),
            (1, vec!["secret_missing".to_string()])
        );

        running
            .sandbox
            .control()
            .set_faults(Faults {
                timeout_rate: 1.0,
                ..Faults::default()
            })
            .unwrap();
        let (status, json) = check_json(&dir, "expiring", &keychain);
        assert_eq!(status, 1);
        assert!(codes(&json).contains(&"timed_out".to_string()), "{json:#}");
    }

    #[test]
    fn bad_usage_and_bad_input_exit_with_2() {
        let dir = TempDir::new();
        let data = dir.text();
        let run = |args: &[&str]| {
            let mut all = vec!["rollcall", "--data-dir", data.as_str()];
            all.extend_from_slice(args);
            crate::run(all)
        };
        assert_eq!(run(&["check"]), Invocation::Exit(2));
        assert_eq!(run(&["check", "nobody"]), Invocation::Exit(2));
        assert_eq!(run(&["check", "../escape"]), Invocation::Exit(2));
        assert_eq!(run(&["profile", "export", "nobody"]), Invocation::Exit(2));
        assert_eq!(
            run(&["secret", "set", "nobody", "graph"]),
            Invocation::Exit(2)
        );
        assert_eq!(
            run(&["secret", "set", "x", "password"]),
            Invocation::Exit(2)
        );
        let broken = dir.0.join("broken.toml");
        std::fs::write(&broken, "name = \"broken\"\n[entra]\ncloud = \"global\"\ntenant = \"contoso.com\"\nclient_id = \"nope\"\n").unwrap();
        assert_eq!(
            run(&["profile", "import", &broken.display().to_string()]),
            Invocation::Exit(2)
        );
        assert_eq!(run(&["profile", "list"]), Invocation::Exit(0));
    }

    #[test]
    fn stored_secrets_never_reach_the_data_directory() {
        let running = start();
        let dir = TempDir::new();
        let prefix = format!("clitest{}-", std::process::id());
        let profiles = import_profiles(&running, &dir, &prefix);
        let healthy = format!("{prefix}healthy");
        let secret = profiles
            .iter()
            .find(|(name, _)| *name == healthy)
            .map(|(_, secret)| secret.clone())
            .unwrap();

        // `secret set` through the real keychain, reading the value as if piped in.
        let cli = Cli::try_parse_from([
            "rollcall",
            "--data-dir",
            &dir.text(),
            "secret",
            "set",
            &healthy,
            "graph",
        ])
        .unwrap();
        let Some(Command::Secret(args)) = cli.command else {
            panic!("not a secret command");
        };
        let mut piped = std::io::Cursor::new(format!("{secret}\n"));
        let keychain = Keychain::new();
        let ws = crate::workspace(cli.data_dir.as_deref()).unwrap();
        let stored = crate::secret::execute(&args, &ws, &mut piped);
        assert_eq!(
            stored, 0,
            "storing in the keychain failed; run the tests inside dbus-run-session with an unlocked gnome-keyring (see the README's test command)"
        );

        let status = crate::run(["rollcall", "--data-dir", &dir.text(), "check", &healthy]);
        let json_status = crate::run([
            "rollcall",
            "--data-dir",
            &dir.text(),
            "check",
            &healthy,
            "--json",
        ]);
        let exported = crate::run([
            "rollcall",
            "--data-dir",
            &dir.text(),
            "profile",
            "export",
            &healthy,
        ]);
        let removed = keychain.delete(&healthy, SecretKind::Graph);
        assert_eq!(status, Invocation::Exit(0));
        assert_eq!(json_status, Invocation::Exit(0));
        assert_eq!(exported, Invocation::Exit(0));
        assert!(removed.unwrap());

        let mut files = Vec::new();
        let mut folders = vec![dir.0.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        assert!(
            files.len() >= 9,
            "expected the imported profiles, found {files:?}"
        );
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(&secret),
                "{} holds the secret",
                file.display()
            );
        }
    }

    #[test]
    fn human_text_names_problems_and_fixes() {
        let report = CheckReport::stopped(
            &rollcall_core::cloud::Cloud::Global,
            rollcall_core::diagnosis::Diagnosis::keychain_unavailable("the keyring is locked"),
        );
        let text = describe("contoso", &report);
        assert!(text.starts_with("✘ The connection of \"contoso\" does not work yet: 1 problem"));
        assert!(text.contains(
            "Problem: Rollcall cannot open this computer's keychain [keychain_unavailable]"
        ));
        assert!(text.contains("  Fix:  Unlock your keychain"));
    }
}
