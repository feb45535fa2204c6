//! The headless `rollcall` against a sandbox in a child process: starting the sandbox
//! (`rollcall sandbox --json`), setting a connection up in a data folder as an admin would
//! on the command line (profile import, both secrets into the keychain), and running a
//! command there.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::{rollcall_bin, terminate};

/// `rollcall --data-dir DATA`, ready for a command.
pub fn rollcall_in(data: &Path) -> Result<Command, String> {
    let mut command = Command::new(rollcall_bin()?);
    command.arg("--data-dir").arg(data);
    Ok(command)
}

/// A sandbox in a child process, with the description it printed; stopped when dropped.
pub struct SandboxChild {
    child: Child,
    pub info: Value,
}

impl Drop for SandboxChild {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(5));
    }
}

impl SandboxChild {
    /// Starts `rollcall sandbox --json` with `args` (say `--users 2000 --seed 7`) and waits
    /// up to a minute for its description.
    pub fn start(args: &[&str]) -> Result<SandboxChild, String> {
        SandboxChild::start_with(&rollcall_bin()?, args)
    }

    /// The same, with the `rollcall` program at `program` (say, one taken out of a package).
    pub fn start_with(program: &Path, args: &[&str]) -> Result<SandboxChild, String> {
        let mut child = Command::new(program)
            .arg("sandbox")
            .args(args)
            .arg("--json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("`rollcall sandbox` did not start: {error}"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or("`rollcall sandbox` has no output to read")?;
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = send.send(line);
        });
        let line = receive
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| "`rollcall sandbox --json` printed nothing within a minute".to_string())?;
        let info = serde_json::from_str(line.trim())
            .map_err(|error| format!("`rollcall sandbox --json` printed {line:?}: {error}"))?;
        Ok(SandboxChild { child, info })
    }

    /// The healthy app registration's description.
    pub fn healthy_app(&self) -> Result<&Value, String> {
        self.info["apps"]
            .as_array()
            .and_then(|apps| apps.iter().find(|app| app["state"] == "healthy"))
            .ok_or_else(|| format!("the sandbox offers no healthy app: {}", self.info))
    }

    /// Text at `key` of the description.
    pub fn text(&self, key: &str) -> Result<&str, String> {
        self.info[key]
            .as_str()
            .ok_or_else(|| format!("`{key}` missing from the sandbox's description"))
    }

    /// A profile `name` signing in as the healthy app, its scope the first group, writing to
    /// the sandbox's SCIM service; `extra` is appended (more TOML tables).
    pub fn profile(&self, name: &str, extra: &str) -> Result<String, String> {
        let app = self.healthy_app()?;
        Ok(format!(
            "name = \"{name}\"\n\n[entra]\ncloud = \"custom\"\ntenant = \"{}\"\nclient_id = \"{}\"\nauthority_url = \"{}\"\ngraph_url = \"{}\"\n\n[scope]\ninclude_groups = [{}]\n\n[target]\nkind = \"scim\"\nurl = \"{}\"\n{extra}",
            self.info["tenant"]["id"].as_str().unwrap_or_default(),
            app["client_id"].as_str().unwrap_or_default(),
            self.text("authority_url")?,
            self.text("graph_url")?,
            self.info["groups"][0]["id"],
            self.text("scim_url")?,
        ))
    }

    /// Sets up connection `name` in `data` as `profile` says: imported, then the client
    /// secret and the platform token stored in the keychain.
    pub fn connect(&self, data: &Path, name: &str, profile: &str) -> Result<(), String> {
        let file = data.join("incoming.toml");
        std::fs::write(&file, profile).map_err(|error| error.to_string())?;
        let imported = rollcall_in(data)?
            .args(["profile", "import"])
            .arg(&file)
            .stdout(Stdio::null())
            .status()
            .map_err(|error| error.to_string())?;
        if !imported.success() {
            return Err(format!("`rollcall profile import` failed for {name}"));
        }
        let app = self.healthy_app()?;
        let secret = app["secret"].as_str().unwrap_or_default();
        store_secret(data, name, "graph", secret)?;
        store_secret(data, name, "target", self.text("scim_token")?)
    }
}

/// `rollcall secret set NAME KIND` with `value` on standard input.
pub fn store_secret(data: &Path, name: &str, kind: &str, value: &str) -> Result<(), String> {
    let mut child = rollcall_in(data)?
        .args(["secret", "set", name, kind])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| error.to_string())?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(format!("{value}\n").as_bytes())
        .map_err(|error| error.to_string())?;
    let status = child.wait().map_err(|error| error.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "storing the {kind} secret failed; run inside the test command's keyring session"
        ))
    }
}
