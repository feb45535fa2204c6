//! What reaches the admin when nobody watches, through the real `rollcall` binary: a
//! scheduled run whose client secret has expired is kept in the history with the reason and
//! shown as a desktop notification (caught by a notification service this test runs on the
//! session bus); the email report goes to a local mail server (aiosmtpd, STARTTLS and
//! sign-in required) with the run's counts and no secret in it, and a refused password is
//! said in words the admin can act on, in the run's report. In the real window (demo mode),
//! the admin fills in the email settings under Edit → Notifications, is asked for the
//! password next to its field, saves, and a test email arrives at that mail server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rollcall_e2e::headless::{SandboxChild, rollcall_in, store_secret};
use rollcall_e2e::page::{click, count, element, set_up_demo, shoot, text_of, type_into};
use rollcall_e2e::{free_port, open_demo_with, terminate, workspace_root};
use serde_json::Value;

/// One notification as the desktop received it.
#[derive(Debug, Clone)]
struct Shown {
    app: String,
    summary: String,
    body: String,
}

/// The desktop's notification service, as far as Rollcall uses it.
struct Notifications {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<&str>,
        _hints: HashMap<&str, zbus::zvariant::Value<'_>>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        shown.push(Shown {
            app: app_name.to_string(),
            summary: summary.to_string(),
            body: body.to_string(),
        });
        u32::try_from(shown.len()).unwrap()
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "rollcall-test".into(),
            "rollcall".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

fn rollcall(data: &Path) -> Command {
    rollcall_in(data).unwrap_or_else(|message| panic!("{message}"))
}

/// Imports `profile` as connection `name` with both secrets, and switches scheduled runs on
/// as the admin does in the profile (`enabled = true`).
fn connect_enabled(data: &Path, platform: &SandboxChild, name: &str, extra: &str) {
    let profile = platform.profile(name, extra).unwrap();
    platform.connect(data, name, &profile).unwrap();
    let file = data.join("profiles").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("enabled = false"), "{text}");
    std::fs::write(&file, text.replace("enabled = false", "enabled = true")).unwrap();
}

/// `rollcall sync NAME --json [args]`: the exit status and the report (or the error text).
fn sync(data: &Path, name: &str, args: &[&str], env: &[(&str, &Path)]) -> (i32, Value, String) {
    let mut command = rollcall(data);
    command.args(["sync", name, "--json"]).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn history(data: &Path, name: &str) -> Vec<Value> {
    let output = rollcall(data)
        .args(["history", name, "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_scheduled_run_whose_secret_expired_is_in_the_history_and_on_the_desktop() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test needs a session bus: run it inside `dbus-run-session`, as the project's test command does"
    );
    let shown = Arc::new(Mutex::new(Vec::new()));
    let _service = zbus::blocking::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at(
            "/org/freedesktop/Notifications",
            Notifications {
                shown: shown.clone(),
            },
        )
        .unwrap()
        .build()
        .expect("the test's notification service could not take the name on the session bus");

    let platform = SandboxChild::start(&[]).unwrap();
    let data = tempfile::tempdir().unwrap();
    connect_enabled(data.path(), &platform, "staff", "");
    let (status, first, stderr) = sync(data.path(), "staff", &[], &[]);
    assert_eq!(status, 0, "{stderr}");
    assert!(first["applied"]["create"].as_u64().unwrap() > 0, "{first}");
    assert!(
        shown.lock().unwrap().is_empty(),
        "a sync by hand that worked shows nothing"
    );

    let client_id = platform.healthy_app().unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let control = platform.text("control_url").unwrap();
    let expired = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(
            reqwest::Client::new()
                .post(format!("{control}/apps/{client_id}/expire-secrets"))
                .send(),
        )
        .unwrap();
    assert!(expired.status().is_success(), "{expired:?}");

    let (status, report, stderr) = sync(data.path(), "staff", &["--scheduled"], &[]);
    assert_eq!(
        status, 1,
        "a run that could not read Entra exits 1: {stderr}"
    );
    assert_eq!(report["applied"]["deactivate"], 0, "{report}");

    let deadline = Instant::now() + Duration::from_secs(10);
    while shown.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let shown = shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(shown[0].app, "Rollcall");
    assert!(
        shown[0].summary.contains("\"staff\"") && shown[0].summary.contains("problems"),
        "{shown:#?}"
    );
    assert!(shown[0].body.contains("expired"), "{shown:#?}");

    let runs = history(data.path(), "staff");
    assert_eq!(runs[0]["trigger"], "schedule", "{runs:#?}");
    assert_eq!(runs[0]["outcome"], "problems", "{runs:#?}");
    assert_eq!(runs[1]["outcome"], "ok", "{runs:#?}");
}

/// A mail server on 127.0.0.1 in a child process (aiosmtpd), its own certificate authority
/// and the folder where it puts what it takes; stopped when dropped.
struct MailServer {
    child: Child,
    port: u16,
    authority: PathBuf,
    inbox: PathBuf,
    _folder: tempfile::TempDir,
}

impl Drop for MailServer {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(5));
    }
}

fn openssl(folder: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(folder)
        .args(args)
        .output()
        .expect("openssl is needed to make the test mail server's certificate");
    assert!(output.status.success(), "openssl {args:?}: {output:?}");
}

impl MailServer {
    fn start(user: &str, password: &str) -> MailServer {
        let python = workspace_root().join("target/smtp-venv/bin/python");
        assert!(
            python.is_file(),
            "aiosmtpd is not installed at {}. Run scripts/test (it installs it), or: python3 -m venv target/smtp-venv && target/smtp-venv/bin/pip install aiosmtpd",
            python.display()
        );
        let folder = tempfile::tempdir().unwrap();
        let dir = folder.path();
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=Rollcall test mail CA",
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        );
        std::fs::write(
            dir.join("leaf.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "cert.pem",
                "-days",
                "2",
                "-extfile",
                "leaf.ext",
            ],
        );
        let port = free_port().unwrap();
        let inbox = dir.join("inbox");
        let mut child = Command::new(python)
            .arg(workspace_root().join("tests/smtp/serve.py"))
            .arg(&inbox)
            .arg(port.to_string())
            .arg(dir.join("cert.pem"))
            .arg(dir.join("key.pem"))
            .args([user, password])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the mail server did not start");
        MailServer {
            child,
            port,
            authority: dir.join("ca.pem"),
            inbox,
            _folder: folder,
        }
    }

    /// The messages taken so far, oldest first.
    fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.inbox)
            .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|file| std::fs::read_to_string(file).unwrap())
            .collect()
    }
}

#[test]
fn the_run_report_is_emailed_over_starttls_and_a_refused_password_is_said_plainly() {
    const PASSWORD: &str = "mail-Pa55word-for-tests";
    let mail = MailServer::start("rollcall@school.example", PASSWORD);
    let platform = SandboxChild::start(&[]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let settings = format!(
        "\n[notify]\ndesktop = false\n\n[notify.email]\nto = [\"it@school.example\"]\nfrom = \"rollcall@school.example\"\nserver = \"127.0.0.1\"\nport = {}\nuser = \"rollcall@school.example\"\nwhen = \"every_run\"\n",
        mail.port
    );
    connect_enabled(data.path(), &platform, "reports", &settings);
    store_secret(data.path(), "reports", "mail", PASSWORD).unwrap();
    // The test's certificate authority is trusted the way an IT department's is: as one of
    // the system's certificates.
    let trust = [("SSL_CERT_FILE", mail.authority.as_path())];

    let (status, report, stderr) = sync(data.path(), "reports", &[], &trust);
    assert_eq!(status, 0, "{stderr} {report}");
    let messages = mail.messages();
    assert_eq!(messages.len(), 1, "one report per run");
    let message = &messages[0];
    let created = report["applied"]["create"].as_u64().unwrap();
    assert!(created > 0);
    assert!(message.contains("To: it@school.example"), "{message}");
    assert!(
        message.contains("Subject: Rollcall: the sync of \"reports\" went through"),
        "{message}"
    );
    assert!(
        message.contains(&format!("Created:      {created}")),
        "the counts are in it: {message}"
    );
    let app = platform.healthy_app().unwrap();
    for secret in [
        PASSWORD,
        app["secret"].as_str().unwrap(),
        platform.text("scim_token").unwrap(),
    ] {
        assert!(
            !message.contains(secret),
            "a secret is in the email: {message}"
        );
    }

    // The mail server's password changed and Rollcall was not told.
    store_secret(data.path(), "reports", "mail", "an-old-password").unwrap();
    let (status, report, _) = sync(data.path(), "reports", &[], &trust);
    assert_eq!(
        status, 1,
        "a report that could not be sent is a problem: {report}"
    );
    let problem = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|problem| problem["code"] == "report_not_emailed")
        .unwrap_or_else(|| panic!("{report}"))
        .clone();
    let said = problem["message"].as_str().unwrap();
    assert!(
        said.contains("refused the user name or password")
            && said.contains("rollcall secret set reports mail"),
        "{said}"
    );
    assert_eq!(mail.messages().len(), 1, "nothing was taken");
    let runs = history(data.path(), "reports");
    assert_eq!(runs[0]["outcome"], "problems", "{runs:#?}");
}

#[tokio::test]
async fn the_email_settings_are_filled_in_the_window_and_a_test_email_arrives() {
    const USER: &str = "rollcall@school.example";
    const PASSWORD: &str = "window-Pa55word-for-tests";
    let mail = MailServer::start(USER, PASSWORD);
    let data = tempfile::tempdir().unwrap();
    let (_driver, client) = open_demo_with(
        data.path(),
        &[("SSL_CERT_FILE", mail.authority.as_os_str())],
    )
    .await
    .unwrap_or_else(|message| panic!("{message}"));
    set_up_demo(&client, "northwind", "Year 7", "Year 7 Tutors").await;

    click(&client, "edit-notify").await;
    element(&client, "notify-editor").await;
    click(&client, "notify-email-on").await;
    type_into(&client, "notify-to", "it@school.example").await;
    type_into(&client, "notify-from", USER).await;
    type_into(&client, "notify-server", "127.0.0.1").await;
    type_into(&client, "notify-port", &mail.port.to_string()).await;
    type_into(&client, "notify-user", USER).await;
    // Signing in needs the password, asked for under its field.
    let asked = text_of(&client, "notify-password-problem").await;
    assert!(asked.contains("Enter the password"), "{asked}");
    shoot(&client, "notify-01-password-asked").await;

    type_into(&client, "notify-password", PASSWORD).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&client, "notify-password-problem").await > 0 {
        assert!(Instant::now() < deadline, "the password problem stayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(&client, "notify-save").await;
    element(&client, "notify-saved").await;
    let profile =
        std::fs::read_to_string(data.path().join("demo/profiles/northwind.toml")).unwrap();
    assert!(profile.contains("[notify.email]"), "{profile}");
    assert!(
        !profile.contains(PASSWORD),
        "the password is not in the profile: {profile}"
    );

    click(&client, "notify-test").await;
    let sent = text_of(&client, "notify-test-sent").await;
    assert!(sent.contains("it@school.example"), "{sent}");
    shoot(&client, "notify-02-test-sent").await;
    let messages = mail.messages();
    assert_eq!(messages.len(), 1, "one test email");
    assert!(
        messages[0].contains("Subject: Rollcall: test email for \"northwind\""),
        "{}",
        messages[0]
    );
    assert!(!messages[0].contains(PASSWORD), "{}", messages[0]);
    client.close().await.unwrap();
}
