//! Profiles: one TOML file per integration (`<name>.toml` in the data directory's `profiles`
//! folder) holding its settings and never a secret. Reading a profile checks every key and
//! value; a mistake is reported with the key and the line it is on.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

use crate::cloud::{Cloud, CloudError};
use crate::credentials::{parse_client_id, parse_tenant};
use crate::data_dir::DataDir;
use crate::schedule::ScheduleSettings;

/// One integration's settings, as written in its TOML file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The profile's name (letters, digits, `-` and `_`); also its file name.
    pub name: String,
    /// Whether scheduled syncs run. A new integration starts disabled.
    #[serde(default)]
    pub enabled: bool,
    /// Where and as which app Rollcall signs in.
    pub entra: EntraSettings,
    /// Which people are in scope.
    #[serde(default)]
    pub scope: ScopeSettings,
    /// The learning platform to keep in step; absent until the admin sets it up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetSettings>,
    /// How Entra attributes become platform accounts.
    #[serde(default)]
    pub mapping: MappingSettings,
    /// Limits that stop a sync from deactivating too many people.
    #[serde(default)]
    pub safety: SafetySettings,
    /// How a sync writes (groups to push, writes in flight).
    #[serde(default, skip_serializing_if = "SyncSettings::is_default")]
    pub sync: SyncSettings,
    /// When it syncs on its own (`[schedule]`); absent until a schedule is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleSettings>,
    /// Who hears about runs that fail or hold deactivations back (`[notify]`).
    #[serde(default, skip_serializing_if = "NotifySettings::is_default")]
    pub notify: NotifySettings,
}

/// The `[notify]` table: desktop notifications (on unless switched off) and, optionally, an
/// email report (`[notify.email]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    /// A desktop notification when a run fails, holds deactivations back or does not start,
    /// and before the client secret expires.
    #[serde(default = "yes")]
    pub desktop: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSettings>,
}

impl Default for NotifySettings {
    fn default() -> NotifySettings {
        NotifySettings {
            desktop: true,
            email: None,
        }
    }
}

impl NotifySettings {
    fn is_default(&self) -> bool {
        *self == NotifySettings::default()
    }
}

/// The `[notify.email]` table: where the run report goes, and through which mail server.
/// The server must offer STARTTLS; its password (when `user` is set) is in the keychain
/// (`rollcall secret set NAME mail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// Who gets the report.
    pub to: Vec<String>,
    /// The sender's address.
    pub from: String,
    /// The mail server's host name.
    pub server: String,
    /// Its submission port (587 unless the mail provider says otherwise).
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// The user name to sign in to the mail server with; none for a server that takes mail
    /// without signing in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Which runs are reported: `problems` (the default) or `every_run`.
    #[serde(default)]
    pub when: EmailWhen,
}

fn default_smtp_port() -> u16 {
    587
}

impl EmailSettings {
    /// The first setting a mail server could not work with, as (key, what to change); the
    /// profile file and the window's notifications step check with the same rule.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.to.is_empty() {
            return Some((
                "to",
                "No one is listed to get the report. Add at least one email address, for example it@school.example.".into(),
            ));
        }
        for (key, address) in self
            .to
            .iter()
            .map(|address| ("to", address))
            .chain([("from", &self.from)])
        {
            if let Err(message) = crate::mail::check_address(address) {
                return Some((key, message));
            }
        }
        if self.server.trim().is_empty() || self.server.contains(['/', ' ', ':']) {
            return Some((
                "server",
                format!(
                    "\"{}\" is not a mail server's name. Use the name your mail provider gives for sending mail (SMTP), for example smtp.office365.com, without https:// and without the port.",
                    self.server
                ),
            ));
        }
        if self.port == 0 {
            return Some((
                "port",
                "0 is not a port. Use the mail server's port for sending mail, usually 587.".into(),
            ));
        }
        if self
            .user
            .as_deref()
            .is_some_and(|user| user.trim().is_empty())
        {
            return Some((
                "user",
                "The user name is empty. Give the user name the mail server signs in with, or leave it out for a server that takes mail without signing in.".into(),
            ));
        }
        None
    }
}

/// Which runs the email reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EmailWhen {
    /// Runs that failed, held deactivations back or did not start.
    #[default]
    Problems,
    /// Every run that wrote (not dry runs).
    EveryRun,
}

/// Which cloud a profile signs in to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloudKey {
    Global,
    Usgov,
    UsgovDod,
    China,
    Custom,
}

/// The `[entra]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntraSettings {
    pub cloud: CloudKey,
    /// A tenant ID or verified domain.
    pub tenant: String,
    /// The app registration's Application (client) ID.
    pub client_id: String,
    /// Custom cloud only: the sign-in address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_url: Option<String>,
    /// Custom cloud only: the Graph address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph_url: Option<String>,
    /// The expiry date of the client secret, as the admin center showed it.
    #[serde(
        default,
        deserialize_with = "date_or_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub secret_expires: Option<NaiveDate>,
}

/// The `[scope]` table: who gets an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeSettings {
    /// Object IDs of groups whose members are in scope.
    #[serde(default)]
    pub include_groups: Vec<String>,
    /// Object IDs of groups whose members are left out, even when included elsewhere.
    #[serde(default)]
    pub exclude_groups: Vec<String>,
    /// Whether members of nested groups count.
    #[serde(default = "yes")]
    pub nested: bool,
    /// Whether guest (B2B) users are in scope.
    #[serde(default)]
    pub guests: bool,
}

impl Default for ScopeSettings {
    fn default() -> ScopeSettings {
        ScopeSettings {
            include_groups: Vec::new(),
            exclude_groups: Vec::new(),
            nested: true,
            guests: false,
        }
    }
}

fn yes() -> bool {
    true
}

/// The kind of learning platform connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Scim,
    Csv,
}

/// The `[target]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct TargetSettings {
    pub kind: TargetKind,
    /// SCIM only: the service provider's base address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// CSV only: the folder the files are written to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// The `[sync]` table: how a sync writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// Object IDs of Entra groups pushed to the platform as groups, their members kept in
    /// step (for platforms that give roles or departments by group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub push_groups: Vec<String>,
    /// How many writes a sync keeps in flight at once (the platform may still slow it).
    #[serde(default = "default_concurrency")]
    pub concurrency: u16,
}

fn default_concurrency() -> u16 {
    8
}

impl Default for SyncSettings {
    fn default() -> SyncSettings {
        SyncSettings {
            push_groups: Vec::new(),
            concurrency: default_concurrency(),
        }
    }
}

impl SyncSettings {
    fn is_default(&self) -> bool {
        *self == SyncSettings::default()
    }
}

/// Which Entra attribute becomes the platform's user name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub enum UsernameSource {
    #[serde(rename = "userPrincipalName")]
    UserPrincipalName,
    #[serde(rename = "mail")]
    Mail,
    #[serde(rename = "employeeId")]
    EmployeeId,
}

/// The `[mapping]` table. The defaults need no editing: userName, name, displayName, work
/// email, title, department, preferredLanguage, country, employeeNumber, manager, active and
/// externalId are always mapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct MappingSettings {
    #[serde(default = "default_username")]
    pub username: UsernameSource,
    /// `[mapping.custom]`: further Entra properties (employeeId, officeLocation, mobilePhone,
    /// companyName, employeeHireDate, extensionAttribute1–15) → the SCIM path each goes to.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, String>,
}

fn default_username() -> UsernameSource {
    UsernameSource::UserPrincipalName
}

impl Default for MappingSettings {
    fn default() -> MappingSettings {
        MappingSettings {
            username: default_username(),
            custom: BTreeMap::new(),
        }
    }
}

/// The `[safety]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SafetySettings {
    /// A sync stops before deactivating more than this many people.
    #[serde(default = "default_max_deactivations")]
    pub max_deactivations: u32,
    /// A sync stops before deactivating more than this share (0–100) of the platform's users.
    #[serde(default = "default_max_percent")]
    pub max_deactivation_percent: u8,
}

fn default_max_deactivations() -> u32 {
    500
}

fn default_max_percent() -> u8 {
    20
}

impl Default for SafetySettings {
    fn default() -> SafetySettings {
        SafetySettings {
            max_deactivations: default_max_deactivations(),
            max_deactivation_percent: default_max_percent(),
        }
    }
}

/// Accepts `secret_expires = "2027-05-31"` and the bare TOML date `2027-05-31`.
fn date_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
    let value = toml::Value::deserialize(deserializer)?;
    let text = match &value {
        toml::Value::String(text) => text.clone(),
        toml::Value::Datetime(datetime) => datetime.to_string(),
        _ => String::new(),
    };
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            serde::de::Error::custom(format!(
                "secret_expires must be a date written as \"YYYY-MM-DD\" (for example \"2027-05-31\"), not {value}"
            ))
        })
}

/// What is wrong with a profile, or why it could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("Line {line}: {message}")]
    Invalid {
        line: usize,
        key: Option<String>,
        message: String,
    },
    #[error(
        "\"{name}\" cannot be a profile name: {reason} Use letters, digits, - and _ only (for example contoso-moodle)."
    )]
    BadName { name: String, reason: String },
    #[error(
        "There is no profile called \"{name}\". Run `rollcall profile list` to see the profiles, or import one with `rollcall profile import FILE.toml`."
    )]
    NotFound { name: String },
    #[error("Could not read {path}: {source}. Check that the file exists and is readable.")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Could not save {path}: {source}. Check that the folder is writable.")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("The profile could not be written as TOML: {0}")]
    Encode(String),
}

/// The keys that look like somebody tried to put a secret in the file.
fn is_secretish(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key != "secret_expires"
        && (key.contains("secret")
            || key.contains("password")
            || key.contains("token")
            || key.contains("api_key")
            || key.contains("apikey"))
}

fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The line of `key` in `[section]` (the section's own line when the key is missing; line 1
/// for top-level keys that are missing).
fn line_of(text: &str, section: Option<&str>, key: &str) -> usize {
    let mut current: Option<String> = None;
    let mut section_line = 1;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            let name = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            if Some(name.as_str()) == section {
                section_line = index + 1;
            }
            current = Some(name);
            continue;
        }
        if current.as_deref() == section
            && let Some((name, _)) = line.split_once('=')
            && name.trim().trim_matches('"') == key
        {
            return index + 1;
        }
    }
    section_line
}

impl Profile {
    /// A new, disabled profile for the given sign-in settings, with default scope, mapping and
    /// safety limits and no target yet.
    pub fn new(name: &str, entra: EntraSettings) -> Result<Profile, ProfileError> {
        check_name(name)?;
        let profile = Profile {
            name: name.to_string(),
            enabled: false,
            entra,
            scope: ScopeSettings::default(),
            target: None,
            mapping: MappingSettings::default(),
            safety: SafetySettings::default(),
            sync: SyncSettings::default(),
            schedule: None,
            notify: NotifySettings::default(),
        };
        let text = profile.to_toml()?;
        profile.check_values(&text)?;
        Ok(profile)
    }

    /// Reads a profile from TOML text, checking every key and value.
    pub fn parse(text: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text).map_err(|error| {
            let line = error.span().map_or(1, |span| line_at(text, span.start));
            let message = error.message().replace("unknown field", "unknown key");
            let key = message
                .split('`')
                .nth(1)
                .filter(|_| message.starts_with("unknown key"))
                .map(str::to_string);
            match key {
                Some(key) if is_secretish(&key) => ProfileError::Invalid {
                    line,
                    message: format!(
                        "`{key}` looks like a secret, and secrets never go in a profile file. Remove the line and store the secret in the keychain with `rollcall secret set NAME graph` (or `target`)."
                    ),
                    key: Some(key),
                },
                key => ProfileError::Invalid {
                    line,
                    key,
                    message: message.trim_end().to_string(),
                },
            }
        })?;
        check_name(&profile.name).map_err(|error| ProfileError::Invalid {
            line: line_of(text, None, "name"),
            key: Some("name".into()),
            message: error.to_string(),
        })?;
        profile.check_values(text)?;
        Ok(profile)
    }

    /// The profile as TOML text.
    pub fn to_toml(&self) -> Result<String, ProfileError> {
        toml::to_string_pretty(self).map_err(|error| ProfileError::Encode(error.to_string()))
    }

    /// The cloud this profile signs in to.
    pub fn cloud(&self) -> Result<Cloud, CloudError> {
        match self.entra.cloud {
            CloudKey::Global => Ok(Cloud::Global),
            CloudKey::Usgov => Ok(Cloud::UsGov),
            CloudKey::UsgovDod => Ok(Cloud::UsGovDod),
            CloudKey::China => Ok(Cloud::China),
            CloudKey::Custom => Cloud::custom(
                self.entra.authority_url.as_deref().unwrap_or_default(),
                self.entra.graph_url.as_deref().unwrap_or_default(),
            ),
        }
    }

    fn check_values(&self, text: &str) -> Result<(), ProfileError> {
        let invalid = |section: Option<&str>, key: &str, message: String| ProfileError::Invalid {
            line: line_of(text, section, key),
            key: Some(key.to_string()),
            message,
        };
        let entra = Some("entra");
        if let Err(problem) = parse_tenant(&self.entra.tenant) {
            return Err(invalid(
                entra,
                "tenant",
                format!("{} {}", problem.message, problem.fix),
            ));
        }
        if let Err(problem) = parse_client_id(&self.entra.client_id) {
            return Err(invalid(
                entra,
                "client_id",
                format!("{} {}", problem.message, problem.fix),
            ));
        }
        match self.entra.cloud {
            CloudKey::Custom => {
                for (key, value) in [
                    ("authority_url", &self.entra.authority_url),
                    ("graph_url", &self.entra.graph_url),
                ] {
                    if value.is_none() {
                        return Err(invalid(
                            entra,
                            key,
                            format!(
                                "cloud = \"custom\" needs `{key}` in [entra]: add it, for example {key} = \"http://127.0.0.1:8400\"."
                            ),
                        ));
                    }
                }
                if let Err(error) = self.cloud() {
                    let key = match &error {
                        CloudError::NotAUrl { field, .. }
                        | CloudError::InsecureRemote { field, .. }
                        | CloudError::UnsupportedScheme { field, .. }
                        | CloudError::ExtraParts { field, .. } => *field,
                        CloudError::UnknownCloud { .. } => "cloud",
                    };
                    return Err(invalid(entra, key, error.to_string()));
                }
            }
            CloudKey::Global | CloudKey::Usgov | CloudKey::UsgovDod | CloudKey::China => {
                for (key, value) in [
                    ("authority_url", &self.entra.authority_url),
                    ("graph_url", &self.entra.graph_url),
                ] {
                    if value.is_some() {
                        return Err(invalid(
                            entra,
                            key,
                            format!(
                                "`{key}` is only used with cloud = \"custom\". Remove it, or set cloud = \"custom\"."
                            ),
                        ));
                    }
                }
            }
        }
        let scope = Some("scope");
        for (key, groups) in [
            ("include_groups", &self.scope.include_groups),
            ("exclude_groups", &self.scope.exclude_groups),
        ] {
            if groups.iter().any(|group| group.trim().is_empty()) {
                return Err(invalid(
                    scope,
                    key,
                    format!(
                        "`{key}` has an empty entry. Each entry is a group's Object ID from the Entra admin center."
                    ),
                ));
            }
        }
        if let Some(target) = &self.target {
            let section = Some("target");
            match target.kind {
                TargetKind::Scim => {
                    let Some(url) = &target.url else {
                        return Err(invalid(
                            section,
                            "url",
                            "kind = \"scim\" needs `url`, the SCIM base address your learning platform gave you (for example https://lms.example.com/scim/v2).".into(),
                        ));
                    };
                    if let Err(error) = Cloud::custom(url, url) {
                        return Err(invalid(
                            section,
                            "url",
                            error.to_string().replace("authority_url", "url"),
                        ));
                    }
                }
                TargetKind::Csv => {
                    if target
                        .path
                        .as_deref()
                        .is_none_or(|path| path.trim().is_empty())
                    {
                        return Err(invalid(
                            section,
                            "path",
                            "kind = \"csv\" needs `path`, the folder where Rollcall writes the CSV files (for example path = \"exports/\").".into(),
                        ));
                    }
                }
            }
        }
        for (source, path) in &self.mapping.custom {
            if let Err(message) = crate::mapping::check_custom(source, path) {
                return Err(invalid(Some("mapping.custom"), source, message));
            }
        }
        if self.sync.concurrency == 0 || self.sync.concurrency > 64 {
            return Err(invalid(
                Some("sync"),
                "concurrency",
                format!(
                    "concurrency is {}; use a number from 1 to 64 (8 suits most platforms).",
                    self.sync.concurrency
                ),
            ));
        }
        if self
            .sync
            .push_groups
            .iter()
            .any(|group| group.trim().is_empty())
        {
            return Err(invalid(
                Some("sync"),
                "push_groups",
                "`push_groups` has an empty entry. Each entry is a group's Object ID from the Entra admin center.".into(),
            ));
        }
        if let Some(email) = &self.notify.email
            && let Some((key, message)) = email.problem()
        {
            return Err(invalid(Some("notify.email"), key, message));
        }
        if let Some(schedule) = &self.schedule {
            match schedule.schedule() {
                Err(problem) => {
                    return Err(invalid(Some("schedule"), problem.key, problem.message));
                }
                Ok(parsed) if parsed.after.as_deref() == Some(self.name.as_str()) => {
                    return Err(invalid(
                        Some("schedule"),
                        "after",
                        format!(
                            "after = \"{}\" names this connection itself. Name another connection, or leave `after` out.",
                            self.name
                        ),
                    ));
                }
                Ok(_) => {}
            }
        }
        if self.safety.max_deactivation_percent > 100 {
            return Err(invalid(
                Some("safety"),
                "max_deactivation_percent",
                format!(
                    "max_deactivation_percent is {}, but a share can be at most 100.",
                    self.safety.max_deactivation_percent
                ),
            ));
        }
        Ok(())
    }
}

/// Checks a profile name: 1–64 letters, digits, `-` and `_`.
pub fn check_name(name: &str) -> Result<(), ProfileError> {
    let bad = |reason: &str| ProfileError::BadName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(bad("it is empty."));
    }
    if name.chars().count() > 64 {
        return Err(bad("it is longer than 64 characters."));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(bad(&format!("it contains \"{c}\".")));
    }
    Ok(())
}

/// The profiles folder of one data directory.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    folder: PathBuf,
}

impl fmt::Display for ProfileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.folder.display())
    }
}

impl ProfileStore {
    /// The profiles of `data_dir`.
    pub fn new(data_dir: &DataDir) -> ProfileStore {
        ProfileStore {
            folder: data_dir.profiles(),
        }
    }

    /// The file a profile lives in.
    pub fn path_of(&self, name: &str) -> Result<PathBuf, ProfileError> {
        check_name(name)?;
        Ok(self.folder.join(format!("{name}.toml")))
    }

    /// The profile to save when a connection is set up under `fresh.name`: the new sign-in
    /// settings, keeping whatever an existing profile of that name already chose (its groups,
    /// platform, mapping, safety limits and whether it syncs), so setting a connection up
    /// again, say with a new secret, loses nothing. Without a readable profile, `fresh`.
    pub fn with_existing_choices(&self, fresh: Profile) -> Profile {
        match self.load(&fresh.name) {
            Ok(existing) => Profile {
                entra: fresh.entra,
                ..existing
            },
            Err(_) => fresh,
        }
    }

    /// The names of all profiles, sorted.
    pub fn list(&self) -> Result<Vec<String>, ProfileError> {
        let entries = match std::fs::read_dir(&self.folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(ProfileError::Read {
                    path: self.folder.clone(),
                    source,
                });
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let path = entry.path();
                let is_toml = path.extension().is_some_and(|ext| ext == "toml");
                let stem = path.file_stem()?.to_str()?.to_string();
                (is_toml && check_name(&stem).is_ok()).then_some(stem)
            })
            .collect();
        names.sort();
        Ok(names)
    }

    /// Reads and checks one profile.
    pub fn load(&self, name: &str) -> Result<Profile, ProfileError> {
        let path = self.path_of(name)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(ProfileError::NotFound {
                    name: name.to_string(),
                });
            }
            Err(source) => return Err(ProfileError::Read { path, source }),
        };
        let profile = Profile::parse(&text)?;
        if profile.name != name {
            return Err(ProfileError::Invalid {
                line: line_of(&text, None, "name"),
                key: Some("name".into()),
                message: format!(
                    "the file {name}.toml says name = \"{}\". The name must match the file name.",
                    profile.name
                ),
            });
        }
        Ok(profile)
    }

    /// Writes a profile to `<name>.toml`, replacing the old file in one step.
    pub fn save(&self, profile: &Profile) -> Result<PathBuf, ProfileError> {
        let path = self.path_of(&profile.name)?;
        let text = profile.to_toml()?;
        crate::data_dir::create_private_dir(&self.folder).map_err(|source| {
            ProfileError::Write {
                path: self.folder.clone(),
                source,
            }
        })?;
        let partial = self.folder.join(format!(".{}.toml.partial", profile.name));
        crate::data_dir::create_private_file(&partial)
            .and_then(|mut file| {
                use std::io::Write;
                file.write_all(text.as_bytes())?;
                file.sync_all()
            })
            .map_err(|source| ProfileError::Write {
                path: partial.clone(),
                source,
            })?;
        std::fs::rename(&partial, &path).map_err(|source| ProfileError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// Reads a profile from any TOML file, checks it and saves it under its name.
    pub fn import(&self, file: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(file).map_err(|source| ProfileError::Read {
            path: file.to_path_buf(),
            source,
        })?;
        let profile = Profile::parse(&text)?;
        self.save(&profile)?;
        Ok(profile)
    }

    /// The profile as TOML text, ready to share (it holds no secret).
    pub fn export(&self, name: &str) -> Result<String, ProfileError> {
        self.load(name)?.to_toml()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"name = "contoso"

[entra]
cloud = "custom"
tenant = "contoso.onmicrosoft.com"
client_id = "535fb089-9ff3-47b6-9bfb-4f1264799865"
authority_url = "http://127.0.0.1:8400"
graph_url = "http://127.0.0.1:8400"
secret_expires = "2027-05-31"

[scope]
include_groups = ["11111111-2222-3333-4444-555555555555"]
exclude_groups = []
nested = true
guests = false

[target]
kind = "scim"
url = "https://lms.example.com/scim/v2"

[mapping]
username = "userPrincipalName"

[safety]
max_deactivations = 500
max_deactivation_percent = 20
"#;

    #[test]
    fn reads_the_documented_file_and_starts_disabled() {
        let profile = Profile::parse(FULL).unwrap();
        assert_eq!(profile.name, "contoso");
        assert!(!profile.enabled);
        assert_eq!(
            profile.entra.secret_expires,
            NaiveDate::from_ymd_opt(2027, 5, 31)
        );
        assert_eq!(
            profile.cloud().unwrap().authority_url(),
            "http://127.0.0.1:8400"
        );
        assert_eq!(profile.target.as_ref().unwrap().kind, TargetKind::Scim);
        let again = Profile::parse(&profile.to_toml().unwrap()).unwrap();
        assert_eq!(again, profile);
    }

    #[test]
    fn minimal_file_gets_defaults() {
        let profile = Profile::parse(
            "name = \"a\"\n[entra]\ncloud = \"global\"\ntenant = \"contoso.com\"\nclient_id = \"535fb089-9ff3-47b6-9bfb-4f1264799865\"\nsecret_expires = 2027-05-31\n",
        )
        .unwrap();
        assert!(profile.scope.nested);
        assert_eq!(profile.safety.max_deactivation_percent, 20);
        assert_eq!(profile.mapping.username, UsernameSource::UserPrincipalName);
        assert_eq!(
            profile.entra.secret_expires,
            NaiveDate::from_ymd_opt(2027, 5, 31)
        );
    }

    fn error_of(text: &str) -> (usize, String) {
        match Profile::parse(text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(ProfileError::Invalid { line, message, .. }) => (line, message),
            Err(other) => panic!("unexpected error {other}"),
        }
    }

    #[test]
    fn mistakes_name_the_key_and_the_line() {
        let (line, message) = error_of(&FULL.replace("nested = true", "nested = true\nnestde = 1"));
        assert_eq!(line, 15);
        assert!(message.contains("unknown key `nestde`"), "{message}");

        let (line, message) = error_of(&FULL.replace(
            "secret_expires = \"2027-05-31\"",
            "client_secret = \"abc8Q~xyz\"",
        ));
        assert_eq!(line, 9);
        assert!(message.contains("never go in a profile"), "{message}");

        let (line, message) = error_of(&FULL.replace("contoso.onmicrosoft.com", "contoso"));
        assert_eq!(line, 5);
        assert!(message.contains("tenant"), "{message}");

        let (line, message) = error_of(&FULL.replace("2027-05-31", "31/05/2027"));
        assert_eq!(line, 9);
        assert!(message.contains("YYYY-MM-DD"), "{message}");

        let (line, message) = error_of(&FULL.replace(
            "http://127.0.0.1:8400\"\ngraph",
            "http://login.example.com\"\ngraph",
        ));
        assert_eq!(line, 7);
        assert!(message.contains("authority_url"), "{message}");

        let (line, message) = error_of(&FULL.replace("cloud = \"custom\"", "cloud = \"mars\""));
        assert_eq!(line, 4);
        assert!(message.contains("mars"), "{message}");

        let (line, message) = error_of(&FULL.replace("cloud = \"custom\"", "cloud = \"global\""));
        assert_eq!(line, 7);
        assert!(
            message.contains("only used with cloud = \"custom\""),
            "{message}"
        );

        let (line, message) = error_of(&FULL.replace("= 20", "= 120"));
        assert_eq!(line, 26);
        assert!(message.contains("at most 100"), "{message}");

        let (line, message) =
            error_of(&FULL.replace("url = \"https://lms", "path = \"https://lms"));
        assert_eq!(line, 17, "a missing key points at its section");
        assert!(message.contains("needs `url`"), "{message}");

        let (line, message) = error_of(&FULL.replace("name = \"contoso\"", "name = \"con toso\""));
        assert_eq!(line, 1);
        assert!(message.contains("cannot be a profile name"), "{message}");
    }

    #[test]
    fn custom_mappings_and_push_settings_name_the_key_and_the_line() {
        let with = |extra: &str| FULL.replace("[safety]", &format!("{extra}\n[safety]"));
        let profile = Profile::parse(&with(
            "[mapping.custom]\nextensionAttribute3 = \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter\"",
        ))
        .unwrap();
        assert_eq!(profile.mapping.custom.len(), 1);
        assert_eq!(
            Profile::parse(&profile.to_toml().unwrap()).unwrap(),
            profile
        );

        let (line, message) = error_of(&with("[mapping.custom]\nshoeSize = \"title\""));
        assert_eq!(line, 25);
        assert!(
            message.contains("`shoeSize` is not an Entra property"),
            "{message}"
        );
        let (line, message) = error_of(&with("[mapping.custom]\nofficeLocation = \"titel\""));
        assert_eq!(line, 25);
        assert!(message.contains("`titel` is not a SCIM path"), "{message}");
        let (line, message) = error_of(&format!("{FULL}\n[sync]\nconcurrency = 0\n"));
        assert_eq!(line, 29);
        assert!(message.contains("from 1 to 64"), "{message}");
    }

    #[test]
    fn schedule_mistakes_name_the_key_and_the_line() {
        let with = |table: &str| format!("{FULL}\n[schedule]\n{table}\n");
        let profile = Profile::parse(&with(
            "daily = \"02:00\"\ntime_zone = \"Europe/London\"\nafter = \"staff\"",
        ))
        .unwrap();
        let schedule = profile.schedule.as_ref().unwrap().schedule().unwrap();
        assert_eq!(schedule.describe(), "daily at 02:00");
        assert_eq!(
            Profile::parse(&profile.to_toml().unwrap()).unwrap(),
            profile
        );

        let (line, message) = error_of(&with("every = \"0m\""));
        assert_eq!(line, 29);
        assert!(message.contains("zero or less"), "{message}");
        let (line, message) = error_of(&with("weekdays = \"07:30\"\ntime_zone = \"Mars/Olympus\""));
        assert_eq!(line, 30);
        assert!(message.contains("Mars/Olympus"), "{message}");
        let (line, message) = error_of(&with("daily = \"2am\""));
        assert_eq!(line, 29);
        assert!(message.contains("HH:MM"), "{message}");
        let (line, message) = error_of(&with("every = \"1h\"\nevrey = \"2h\""));
        assert_eq!(line, 30);
        assert!(message.contains("unknown key `evrey`"), "{message}");
        let (line, message) = error_of(&with("every = \"1h\"\nafter = \"contoso\""));
        assert_eq!(line, 30);
        assert!(message.contains("itself"), "{message}");
    }

    #[test]
    fn store_imports_lists_and_exports() {
        let base = tempfile::tempdir().unwrap();
        let data = DataDir::at(base.path().to_path_buf(), crate::data_dir::Mode::Real);
        let store = ProfileStore::new(&data);
        assert!(store.list().unwrap().is_empty());
        let file = base.path().join("incoming.toml");
        std::fs::write(&file, FULL).unwrap();
        let profile = store.import(&file).unwrap();
        assert_eq!(store.list().unwrap(), ["contoso"]);
        assert_eq!(store.load("contoso").unwrap(), profile);
        assert!(
            store
                .export("contoso")
                .unwrap()
                .contains("client_id = \"535fb089")
        );
        assert!(matches!(
            store.load("nobody"),
            Err(ProfileError::NotFound { .. })
        ));
        assert!(matches!(
            store.load("../etc"),
            Err(ProfileError::BadName { .. })
        ));
    }

    #[test]
    fn setting_a_connection_up_again_keeps_what_it_had_chosen() {
        let base = tempfile::tempdir().unwrap();
        let data = DataDir::at(base.path().to_path_buf(), crate::data_dir::Mode::Real);
        let store = ProfileStore::new(&data);
        let file = base.path().join("incoming.toml");
        std::fs::write(&file, FULL).unwrap();
        let before = store.import(&file).unwrap();

        let mut entra = before.entra.clone();
        entra.secret_expires = None;
        entra.client_id = "00000000-0000-0000-0000-000000000009".to_string();
        let again = store.with_existing_choices(Profile::new("contoso", entra.clone()).unwrap());
        assert_eq!(again.entra, entra, "the new sign-in settings win");
        assert_eq!(again.scope, before.scope, "the chosen groups stay");
        assert_eq!(again.target, before.target);
        assert_eq!(again.mapping, before.mapping);
        assert_eq!(again.safety, before.safety);

        let other = store.with_existing_choices(Profile::new("fabrikam", entra).unwrap());
        assert_eq!(
            other.scope,
            ScopeSettings::default(),
            "a new name starts afresh"
        );
    }
}
