//! Test reads after sign-in: one user, one group and one group's members (`$top=1`,
//! `$select`), proving what Graph really allows. Each failure is explained: 403 names the
//! permission, and 401, 404, throttling and server errors each get their own diagnosis.

use serde_json::Value;

use crate::auth::AccessToken;
use crate::cloud::PortalLinks;
use crate::diagnosis::{Diagnosis, Service};
use crate::network::{REPLY_BODY_LIMIT, read_body, server_failure, transport_failure};
use crate::permissions::{READ_GROUP_MEMBERS, READ_USERS};

/// An answer from Graph that is not a success.
#[derive(Debug)]
pub(crate) enum GraphFailure {
    /// An HTTP error status with Graph's error code and message.
    Status {
        status: u16,
        message: String,
        retry_after: Option<String>,
    },
    /// No HTTP answer.
    Transport(reqwest::Error),
    /// A success status with a body that is not JSON.
    Unreadable(String),
}

/// Reads one Graph address (relative to `{graph_url}/v1.0/`) as JSON.
pub(crate) async fn graph_get(
    http: &reqwest::Client,
    graph_url: &str,
    token: &AccessToken,
    path: &str,
) -> Result<Value, GraphFailure> {
    let response = http
        .get(format!("{graph_url}/v1.0/{path}"))
        .bearer_auth(token.bearer())
        .send()
        .await
        .map_err(GraphFailure::Transport)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let body = read_body(response, REPLY_BODY_LIMIT)
        .await
        .map_err(|error| GraphFailure::Unreadable(error.to_string()))?;
    if (200..300).contains(&status) {
        return serde_json::from_slice(&body)
            .map_err(|error| GraphFailure::Unreadable(error.to_string()));
    }
    let message = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|json| {
            let error = json.get("error")?;
            let code = error
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let text = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some(
                format!("{code}: {text}")
                    .trim_matches([':', ' '])
                    .to_string(),
            )
        })
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err(GraphFailure::Status {
        status,
        message,
        retry_after,
    })
}

/// What one test read tried to do, for the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    ReadUser,
    ReadGroup,
    ReadMembers,
}

impl ProbeKind {
    /// Completes "Graph refused to …".
    pub fn action(self) -> &'static str {
        match self {
            ProbeKind::ReadUser => "read users",
            ProbeKind::ReadGroup => "list groups",
            ProbeKind::ReadMembers => "read a group's members",
        }
    }

    /// The permission that allows this read.
    pub fn permission(self) -> &'static str {
        match self {
            ProbeKind::ReadUser => READ_USERS.permission,
            ProbeKind::ReadGroup | ProbeKind::ReadMembers => READ_GROUP_MEMBERS.permission,
        }
    }
}

/// The outcome of the test reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeOutcome {
    /// One finding per failed read.
    pub diagnoses: Vec<Diagnosis>,
    /// Whether at least one user could be read.
    pub read_user: bool,
    /// The group whose members were read, when one was found.
    pub group_id: Option<String>,
}

fn explain(
    failure: GraphFailure,
    kind: ProbeKind,
    graph_url: &str,
    links: &PortalLinks,
) -> Diagnosis {
    let what = kind.action();
    match failure {
        GraphFailure::Transport(error) => transport_failure(&error, Service::Graph, graph_url),
        GraphFailure::Unreadable(detail) => Diagnosis::unexpected_response(
            Service::Graph,
            &format!("Graph's answer when trying to {what} was not JSON: {detail}"),
        ),
        GraphFailure::Status {
            status,
            message,
            retry_after,
        } => match status {
            401 => Diagnosis::graph_unauthorized(what, &message, links),
            403 => Diagnosis::graph_forbidden(what, kind.permission(), links),
            404 => Diagnosis::graph_not_found(what, links),
            429 => Diagnosis::graph_throttled(retry_after.as_deref()),
            500..=599 => server_failure(status, Service::Graph, graph_url),
            _ => Diagnosis::unexpected_response(
                Service::Graph,
                &format!("Graph answered {status} when Rollcall tried to {what}: {message}"),
            ),
        },
    }
}

fn first_id(page: &Value) -> Option<String> {
    page.get("value")?
        .as_array()?
        .first()?
        .get("id")?
        .as_str()
        .map(str::to_string)
}

/// Runs the three test reads. `group` picks the group whose members are read (the first group
/// Graph lists when `None`). A failure of one read does not stop the others, except that
/// members cannot be read without a group.
pub async fn run_probes(
    http: &reqwest::Client,
    graph_url: &str,
    token: &AccessToken,
    group: Option<&str>,
    links: &PortalLinks,
) -> ProbeOutcome {
    let mut outcome = ProbeOutcome::default();
    let users = graph_get(
        http,
        graph_url,
        token,
        "users?$top=1&$select=id,userPrincipalName",
    );
    let groups = graph_get(
        http,
        graph_url,
        token,
        "groups?$top=1&$select=id,displayName",
    );
    let (users, groups) = tokio::join!(users, groups);
    match users {
        Ok(_) => outcome.read_user = true,
        Err(failure) => {
            outcome
                .diagnoses
                .push(explain(failure, ProbeKind::ReadUser, graph_url, links))
        }
    }
    let listed = match groups {
        Ok(page) => first_id(&page),
        Err(failure) => {
            outcome
                .diagnoses
                .push(explain(failure, ProbeKind::ReadGroup, graph_url, links));
            None
        }
    };
    let Some(group_id) = group.map(str::to_string).or(listed) else {
        return outcome;
    };
    let members = graph_get(
        http,
        graph_url,
        token,
        &format!("groups/{group_id}/members?$top=1&$select=id"),
    )
    .await;
    if let Err(failure) = members {
        outcome
            .diagnoses
            .push(explain(failure, ProbeKind::ReadMembers, graph_url, links));
    }
    outcome.group_id = Some(group_id);
    outcome
}
