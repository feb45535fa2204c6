//! The Linux packages as an admin installs them: the .deb's name, version and dependencies,
//! the program, its menu entry and icons inside it, and the program taken out of the package
//! running its headless commands; the .rpm's header and file list (when `rpm` is installed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use rollcall_e2e::headless::SandboxChild;
use rollcall_e2e::{LinuxPackage, linux_package};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn package(kind: LinuxPackage) -> std::path::PathBuf {
    linux_package(kind).unwrap_or_else(|message| panic!("{message}"))
}

/// Runs `program args`, failing the test with its stderr unless it exits 0; returns stdout.
fn stdout_of(program: &str, args: &[&str], file: &Path) -> String {
    let output: Output = Command::new(program)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|error| panic!("{program} could not be started: {error}"));
    assert!(
        output.status.success(),
        "{program} {args:?} {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The value of `field` in a control file's `Field: value` lines.
fn control_field<'a>(control: &'a str, field: &str) -> Option<&'a str> {
    control.lines().find_map(|line| {
        line.trim()
            .strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

#[test]
fn the_deb_names_rollcall_its_version_and_the_webview_it_needs() {
    let deb = package(LinuxPackage::Deb);
    let info = stdout_of("dpkg-deb", &["--info"], &deb);
    assert_eq!(control_field(&info, "Package"), Some("rollcall"), "{info}");
    assert_eq!(control_field(&info, "Version"), Some(VERSION), "{info}");
    let depends = control_field(&info, "Depends").unwrap_or_default();
    assert!(
        depends.contains("libwebkit2gtk-4.1"),
        "Depends lacks libwebkit2gtk-4.1: {depends}"
    );
    assert!(
        control_field(&info, "Description").is_some_and(|text| text.contains("Entra")),
        "{info}"
    );

    let contents = stdout_of("dpkg-deb", &["--contents"], &deb);
    let files: Vec<&str> = contents
        .lines()
        .filter_map(|line| line.split_whitespace().last())
        .map(|path| path.trim_start_matches("./"))
        .collect();
    assert!(files.contains(&"usr/bin/rollcall"), "{contents}");
    assert!(
        files
            .iter()
            .any(|path| path.starts_with("usr/share/applications/") && path.ends_with(".desktop")),
        "no menu entry: {contents}"
    );
    let icons = files
        .iter()
        .filter(|path| path.starts_with("usr/share/icons/hicolor/") && path.ends_with(".png"))
        .count();
    assert!(icons >= 3, "{icons} icons: {contents}");
}

#[tokio::test]
async fn the_program_in_the_deb_runs_its_headless_commands() {
    let deb = package(LinuxPackage::Deb);
    let root = tempfile::tempdir().unwrap();
    let extracted = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(root.path())
        .status()
        .unwrap();
    assert!(extracted.success(), "dpkg-deb -x failed");
    let program = root.path().join("usr/bin/rollcall");

    let desktop_dir = root.path().join("usr/share/applications");
    let entry = std::fs::read_dir(&desktop_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "desktop"))
        .expect("no .desktop file");
    let entry = std::fs::read_to_string(entry).unwrap();
    assert!(entry.contains("Exec=rollcall"), "{entry}");
    assert!(entry.contains("Name=Rollcall"), "{entry}");

    let help = Command::new(&program).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success(), "--help failed: {help:?}");
    assert!(
        text.contains("sync") && text.contains("schedule"),
        "--help: {text}"
    );

    let data_dir = tempfile::tempdir().unwrap();
    let list = Command::new(&program)
        .arg("--data-dir")
        .arg(data_dir.path())
        .args(["profile", "list", "--json"])
        .output()
        .unwrap();
    assert!(list.status.success(), "profile list failed: {list:?}");
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "[]");

    // The demo organisation, served by the packaged program on 127.0.0.1.
    let sandbox = SandboxChild::start_with(&program, &[])
        .unwrap_or_else(|message| panic!("the packaged program: {message}"));
    let info = &sandbox.info;
    assert_eq!(info["tenant"]["name"], "Northwind Academy Trust", "{info}");
    let authority = info["authority_url"].as_str().unwrap();
    let tenant = info["tenant"]["id"].as_str().unwrap();
    let discovery = format!("{authority}/{tenant}/v2.0/.well-known/openid-configuration");
    let answer = reqwest::get(&discovery).await.unwrap();
    assert_eq!(answer.status(), 200, "{discovery}");
}

#[test]
fn the_rpm_names_rollcall_its_version_and_the_webview_it_needs() {
    let rpm = package(LinuxPackage::Rpm);
    if Command::new("rpm").arg("--version").output().is_err() {
        panic!(
            "`rpm` is needed to read {}: install it (`apt-get install rpm`), as the project's test command does.",
            rpm.display()
        );
    }
    let header = stdout_of(
        "rpm",
        &["-qp", "--queryformat", "%{NAME} %{VERSION}\\n"],
        &rpm,
    );
    assert_eq!(header.trim(), format!("rollcall {VERSION}"));
    let requires = stdout_of("rpm", &["-qp", "--requires"], &rpm);
    assert!(requires.contains("libwebkit2gtk-4.1"), "{requires}");
    let files = stdout_of("rpm", &["-qpl"], &rpm);
    assert!(
        files.lines().any(|line| line == "/usr/bin/rollcall"),
        "{files}"
    );
    assert!(
        files
            .lines()
            .any(|line| line.starts_with("/usr/share/applications/") && line.ends_with(".desktop")),
        "{files}"
    );
}
