//! Bringing the cache up to date: by delta when the stored snapshot was read for the same
//! scope, otherwise (or when a delta link expired) by a full read, changed in one
//! transaction at the end so a failed or cancelled read keeps the previous snapshot.

use std::sync::Arc;

use serde::Serialize;

use super::ReadError;
use super::delta::read_changes;
use super::read::{ReadPlan, read_full_with};
use super::scope::GroupScope;
use crate::clock::Clock;
use crate::graph::{GraphClient, GraphError};
use crate::profile::MappingSettings;
use crate::records::ReadProblem;
use crate::store::{DeltaLinks, ReadKind, Store};

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    pub kind: ReadKind,
    /// True when an incremental refresh was asked for but a full read was needed (the
    /// delta link had expired, or the scope changed).
    pub fell_back_to_full: bool,
    pub requests: u64,
    pub pages: u64,
    pub retries: u64,
    pub elapsed_ms: u64,
    /// People stored after the refresh.
    pub users: usize,
    pub problems: Vec<ReadProblem>,
    /// False when a scope group could not be read or no longer exists: the read is
    /// recorded as incomplete, so nothing may be deactivated on its strength.
    pub complete: bool,
}

/// Problems that make a read incomplete: a scope group that does not exist (any more).
/// Without it, the people it brought in would look as if they had left.
pub(crate) fn makes_incomplete(problem: &ReadProblem) -> bool {
    matches!(problem.code.as_str(), "group_not_found" | "group_deleted")
}

/// The message the read status keeps for problems that make a read incomplete.
fn incomplete_message(problems: &[ReadProblem]) -> Option<String> {
    let blocking: Vec<&str> = problems
        .iter()
        .filter(|problem| makes_incomplete(problem))
        .map(|problem| problem.message.as_str())
        .collect();
    (!blocking.is_empty()).then(|| {
        format!(
            "The read is incomplete, so no account will be deactivated on its strength. {}",
            blocking.join(" ")
        )
    })
}

/// Brings the cache up to date: incrementally through the stored delta links when the
/// cache was read for this same scope, otherwise (or when a delta link has expired) with a
/// full read. The cache changes in one transaction at the end; if anything fails or the
/// read is cancelled, the previous snapshot stays and the status row says the read is
/// incomplete. A scope group that no longer exists also leaves the read incomplete: the
/// previous snapshot of the same scope stays (with none, what could be read is stored so
/// the preview can show it), and the status row says which group is missing.
pub async fn refresh(
    client: &GraphClient,
    store: &mut Store,
    scope: &GroupScope,
    mapping: &MappingSettings,
    clock: Arc<dyn Clock>,
) -> Result<RefreshReport, ReadError> {
    refresh_with(client, store, scope, mapping, clock, ReadPlan::default()).await
}

/// [`refresh`], with the full read (when one is needed) done by `plan`.
pub async fn refresh_with(
    client: &GraphClient,
    store: &mut Store,
    scope: &GroupScope,
    mapping: &MappingSettings,
    clock: Arc<dyn Clock>,
    plan: ReadPlan,
) -> Result<RefreshReport, ReadError> {
    let started = std::time::Instant::now();
    let key = scope.cache_key(mapping);
    let stored = store.snapshot_info()?;
    let links = store.delta_links()?;
    let incremental = match (&stored, &links) {
        (Some((stored_key, _)), Some(links)) if *stored_key == key => Some(links.clone()),
        _ => None,
    };
    let kind = if incremental.is_some() {
        ReadKind::Delta
    } else {
        ReadKind::Full
    };
    client.expect_requests(store.read_cost(kind, &key)?);
    store.begin_read(kind, clock.now())?;
    tracing::info!(
        kind = kind.as_str(),
        include_groups = scope.include.len(),
        exclude_groups = scope.exclude.len(),
        "directory read started"
    );
    let outcome = run_refresh(
        client,
        store,
        scope,
        mapping,
        &key,
        incremental,
        &clock,
        plan,
    )
    .await;
    let stats = client.stats();
    match outcome {
        Ok((kind, fell_back, problems)) => {
            let incomplete = incomplete_message(&problems);
            if let Some(message) = &incomplete {
                store.fail_read(message, stats.requests, clock.now())?;
            }
            let users = store.user_count().unwrap_or(0);
            tracing::info!(
                kind = kind.as_str(),
                fell_back_to_full = fell_back,
                people = users,
                requests = stats.requests,
                retries = stats.retries,
                problems = problems.len(),
                complete = incomplete.is_none(),
                incomplete = incomplete.as_deref().unwrap_or(""),
                elapsed_ms = started.elapsed().as_millis(),
                "directory read finished"
            );
            Ok(RefreshReport {
                kind,
                fell_back_to_full: fell_back,
                requests: stats.requests,
                pages: stats.pages,
                retries: stats.retries,
                elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                users,
                problems,
                complete: incomplete.is_none(),
            })
        }
        Err(error) => {
            let _ = store.fail_read(&error.to_string(), stats.requests, clock.now());
            tracing::warn!(
                kind = kind.as_str(),
                requests = stats.requests,
                incomplete = %error,
                "directory read did not finish; the previous snapshot is kept"
            );
            Err(error)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_refresh(
    client: &GraphClient,
    store: &mut Store,
    scope: &GroupScope,
    mapping: &MappingSettings,
    key: &str,
    incremental: Option<DeltaLinks>,
    clock: &Arc<dyn Clock>,
    plan: ReadPlan,
) -> Result<(ReadKind, bool, Vec<ReadProblem>), ReadError> {
    let mut fell_back = false;
    if let Some(links) = incremental {
        let mut problems = store
            .snapshot_info()?
            .map(|(_, problems)| problems)
            .unwrap_or_default();
        match read_changes(client, scope, mapping, store, &links, &mut problems).await {
            Ok((changes, unreachable, links)) => {
                client.check_cancelled()?;
                problems.dedup();
                if incomplete_message(&problems).is_some() {
                    // A scope group was deleted: the changes are not applied, so the
                    // previous snapshot stays and the next refresh sees the deletion again.
                    return Ok((ReadKind::Delta, false, problems));
                }
                store.apply_changes(
                    &changes,
                    &unreachable,
                    &problems,
                    &links,
                    key,
                    client.stats().requests,
                    clock.now(),
                )?;
                return Ok((ReadKind::Delta, false, problems));
            }
            Err(ReadError::Graph(GraphError::DeltaExpired { .. })) => {
                fell_back = true;
                let full = store.read_cost(ReadKind::Full, key)?;
                client.expect_requests(full.map(|total| total + client.stats().requests));
            }
            Err(error) => return Err(error),
        }
    }
    let (snapshot, links) = read_full_with(client, scope, mapping, plan).await?;
    client.check_cancelled()?;
    client.set_stage("Saving");
    let keep_previous = incomplete_message(&snapshot.problems).is_some()
        && store
            .snapshot_info()?
            .is_some_and(|(stored_key, _)| stored_key == key);
    let problems = snapshot.problems.clone();
    if !keep_previous {
        store.replace_snapshot(snapshot, &links, key, client.stats().requests, clock.now())?;
    }
    Ok((ReadKind::Full, fell_back, problems))
}
