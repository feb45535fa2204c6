//! rollcall-sandbox owns the simulated Microsoft Entra tenant (sign-in and Graph) and the
//! simulated learning platform's SCIM 2.0 service, served over HTTP on 127.0.0.1.
//!
//! Demo mode, tests and benchmarks stage every scenario through it; it never talks to the
//! internet and never reads a user's real data.

pub mod scim;

use serde::{Deserialize, Serialize};

/// Which directory the sandbox serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dataset {
    /// The named demo tenant (about 250 people, a story an admin can follow).
    Demo,
    /// A deterministic generated tenant of `users` people from `seed`.
    Generated { users: usize, seed: u64 },
}

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub dataset: Dataset,
    /// 0 picks a free ephemeral port.
    pub port: u16,
}

/// The state of one app registration the sandbox holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppState {
    Healthy,
    NoConsent,
    Partial,
    Expired,
    Disabled,
}

/// One app registration, with the credentials a script needs to stage a scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppInfo {
    pub name: String,
    pub client_id: String,
    pub secret: String,
    pub secret_id: String,
    pub roles: Vec<String>,
    pub state: AppState,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantInfo {
    pub id: String,
    pub domain: String,
    pub name: String,
}

/// What a running sandbox offers; `rollcall sandbox --json` prints this as its first line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxInfo {
    pub authority_url: String,
    pub graph_url: String,
    pub scim_url: String,
    pub scim_token: String,
    pub tenant: TenantInfo,
    pub users: usize,
    pub apps: Vec<AppInfo>,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    info: SandboxInfo,
}

impl Sandbox {
    /// Generates the directory and starts serving on 127.0.0.1. Must be called inside a
    /// tokio runtime; the server runs on that runtime until the sandbox is dropped.
    pub async fn start(options: SandboxOptions) -> Result<Sandbox, SandboxError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
            .await
            .map_err(|source| SandboxError::Bind {
                port: options.port,
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| SandboxError::Bind {
                port: options.port,
                source,
            })?
            .port();
        let base = format!("http://127.0.0.1:{port}");
        Ok(Sandbox {
            info: SandboxInfo {
                authority_url: base.clone(),
                graph_url: base.clone(),
                scim_url: format!("{base}/scim/v2"),
                scim_token: String::new(),
                tenant: TenantInfo {
                    id: String::new(),
                    domain: String::new(),
                    name: String::new(),
                },
                users: 0,
                apps: Vec::new(),
            },
        })
    }

    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }
}
