//! Creates sent as SCIM bulk requests (RFC 7644 §3.7) where the platform offers bulk: the
//! accounts packed into `POST /Bulk` requests within `maxOperations` and `maxPayloadSize`
//! (a document too large for a bulk request on its own goes as a plain POST), the requests
//! sent together through the same pacing as every other request, and each operation's
//! answer turned into what a plain create of that account would have returned.
//!
//! A bulk request answered 429 is sent again as it is (nothing was applied). After a 5xx, a
//! timeout or a dropped connection, any of its creates may have been applied: each is
//! looked up by externalId first, those found are taken as created, and only the rest are
//! sent again, so nobody is created twice. An operation answered 409 after such a lost
//! answer is looked up too (the lost attempt made it); otherwise it is the plain create's
//! conflict. A 413 under the advertised limits teaches the client a smaller request size
//! and the operations are sent again in halves. A platform whose `/Bulk` refuses the
//! request as a whole (404, 501, a body that is not a BulkResponse) gets each create as a
//! plain POST, for the rest of the client's life.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures::future::{BoxFuture, join_all};
use reqwest::Method;
use serde_json::Value;

use super::ScimTarget;
use super::transport::{CallError, Replay, Transport, Trouble, refusal};
use super::wire::{self, member};
use crate::targets::{AccountWrite, RemoteAccount, TargetError};

/// The body size assumed when the platform offers bulk without saying `maxPayloadSize`.
pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// What the client has learned about the platform's bulk endpoint.
#[derive(Debug)]
pub struct BulkState {
    /// The endpoint refused a bulk request as a whole: creates go one by one from now on.
    refused: AtomicBool,
    /// A body size the platform answered 413 to, below its advertised limit (`usize::MAX`
    /// until one was).
    too_large: AtomicUsize,
}

impl Default for BulkState {
    fn default() -> BulkState {
        BulkState {
            refused: AtomicBool::new(false),
            too_large: AtomicUsize::new(usize::MAX),
        }
    }
}

impl BulkState {
    pub fn refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed)
    }
}

/// The limits one bulk request must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_operations: usize,
    pub max_payload: usize,
}

/// One create as an operation: its place in the caller's list and its JSON text.
struct Operation {
    index: usize,
    text: String,
}

type Outcome = (usize, Result<RemoteAccount, TargetError>);

/// A bulk request's text before and after its operations.
const ENVELOPE_HEAD: &str =
    "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:BulkRequest\"],\"Operations\":[";
const ENVELOPE_TAIL: &str = "]}";

/// The bytes a bulk request's envelope adds to its operations (commas included).
fn envelope_len(operations: usize) -> usize {
    ENVELOPE_HEAD.len() + ENVELOPE_TAIL.len() + operations.saturating_sub(1)
}

fn body_of(operations: &[&Operation]) -> String {
    let size = envelope_len(operations.len())
        + operations
            .iter()
            .map(|operation| operation.text.len())
            .sum::<usize>();
    let mut body = String::with_capacity(size);
    body.push_str(ENVELOPE_HEAD);
    for (at, operation) in operations.iter().enumerate() {
        if at > 0 {
            body.push(',');
        }
        body.push_str(&operation.text);
    }
    body.push_str(ENVELOPE_TAIL);
    body
}

/// The operation that creates `account`, with `bulkId` its place in the list.
fn operation_text(index: usize, account: &AccountWrite) -> String {
    serde_json::json!({
        "method": "POST",
        "path": "/Users",
        "bulkId": index.to_string(),
        "data": wire::user_document(account),
    })
    .to_string()
}

/// Packs operations, in order, into requests within `limits`; operations too large for a
/// bulk request alone are returned apart.
fn pack(operations: &[Operation], limits: Limits) -> (Vec<Vec<&Operation>>, Vec<&Operation>) {
    let mut requests: Vec<Vec<&Operation>> = Vec::new();
    let mut alone = Vec::new();
    let mut current: Vec<&Operation> = Vec::new();
    let mut size = 0;
    for operation in operations {
        if envelope_len(1) + operation.text.len() > limits.max_payload {
            alone.push(operation);
            continue;
        }
        let grown = size + operation.text.len();
        if !current.is_empty()
            && (current.len() >= limits.max_operations
                || envelope_len(current.len() + 1) + grown > limits.max_payload)
        {
            requests.push(std::mem::take(&mut current));
            size = 0;
        }
        size += operation.text.len();
        current.push(operation);
    }
    if !current.is_empty() {
        requests.push(current);
    }
    (requests, alone)
}

/// An ID from a `location` URL: its last path segment, percent-decoded.
fn id_from_location(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next().unwrap_or_default();
    let segment = path.trim_end_matches('/').rsplit('/').next()?;
    if segment.is_empty() {
        return None;
    }
    // `form_urlencoded` decodes `%XX`; a literal `+` is kept by encoding it first.
    let escaped = segment.replace('+', "%2B");
    url::form_urlencoded::parse(escaped.as_bytes())
        .next()
        .map(|(key, _)| key.into_owned())
}

/// An operation's `status`, as a number or a string.
fn status_of(entry: &Value) -> Option<u16> {
    match member(entry, "status")? {
        Value::Number(number) => number.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(text) => text.trim().parse().ok(),
        // Some platforms send {"code": 201}.
        Value::Object(_) => member(member(entry, "status")?, "code")
            .and_then(Value::as_u64)
            .and_then(|n| u16::try_from(n).ok()),
        _ => None,
    }
}

/// What one operation's answer means for its create.
enum Answer {
    Created(RemoteAccount),
    /// Never applied (429): send it again.
    Again,
    /// It may have been applied (5xx, no answer for it): look, then send again.
    Unsure,
    Refused(TargetError),
}

impl ScimTarget {
    /// Creates `accounts` through bulk requests within `limits`; one outcome per account,
    /// in order.
    pub(super) async fn create_in_bulk(
        &self,
        accounts: &[AccountWrite],
        limits: Limits,
    ) -> Vec<Result<RemoteAccount, TargetError>> {
        let learned = self.bulk.too_large.load(Ordering::Relaxed);
        let limits = Limits {
            max_operations: limits.max_operations.max(1),
            max_payload: limits.max_payload.min(learned.saturating_sub(1)),
        };
        let operations: Vec<Operation> = accounts
            .iter()
            .enumerate()
            .map(|(index, account)| Operation {
                index,
                text: operation_text(index, account),
            })
            .collect();
        let (requests, alone) = pack(&operations, limits);
        let mut sends: Vec<BoxFuture<'_, Vec<Outcome>>> = Vec::new();
        for request in requests {
            sends.push(self.send_bulk(accounts, request, limits));
        }
        for operation in alone {
            let index = operation.index;
            sends.push(Box::pin(async move {
                vec![(index, self.create_one(&accounts[index]).await)]
            }));
        }
        let mut outcomes: Vec<Option<Result<RemoteAccount, TargetError>>> =
            accounts.iter().map(|_| None).collect();
        for (index, outcome) in join_all(sends).await.into_iter().flatten() {
            if let Some(slot) = outcomes.get_mut(index) {
                *slot = Some(outcome);
            }
        }
        outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| {
                    Err(TargetError::Protocol {
                        detail:
                            "the create was not sent (an internal error); the next sync sends it"
                                .into(),
                    })
                })
            })
            .collect()
    }

    /// Sends one bulk request until every operation in it has an outcome.
    fn send_bulk<'a>(
        &'a self,
        accounts: &'a [AccountWrite],
        operations: Vec<&'a Operation>,
        limits: Limits,
    ) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(async move {
            let t = &self.transport;
            let url = t.url("/Bulk", &[]);
            let mut pending = operations;
            let mut unsure: Vec<usize> = Vec::new();
            let mut done: Vec<Outcome> = Vec::with_capacity(pending.len());
            let mut attempts: u32 = 0;
            while !pending.is_empty() {
                if self.bulk.refused() {
                    done.extend(self.one_by_one(accounts, &pending, &unsure).await);
                    return done;
                }
                attempts += 1;
                let body = body_of(&pending);
                let trouble = match t
                    .call_text(Method::POST, &url, Some(&body), Replay::Unsafe)
                    .await
                {
                    Ok(reply) => {
                        let Some(answers) = reply.body.as_ref().and_then(Answers::of) else {
                            // Not a BulkResponse: what was applied is unknown.
                            self.bulk.refused.store(true, Ordering::Relaxed);
                            unsure.extend(pending.iter().map(|operation| operation.index));
                            continue;
                        };
                        let mut again = Vec::new();
                        let mut retry: Option<Trouble> = None;
                        for (position, operation) in pending.iter().enumerate() {
                            let account = &accounts[operation.index];
                            let entry = answers.get(operation.index, position, pending.len());
                            match self.read_answer(entry, account, &url) {
                                Answer::Created(remote) => done.push((operation.index, Ok(remote))),
                                Answer::Refused(TargetError::Conflict { detail })
                                    if unsure.contains(&operation.index) =>
                                {
                                    match self.look(account).await {
                                        Ok(Some(found)) => done.push((operation.index, Ok(found))),
                                        Ok(None) => done.push((
                                            operation.index,
                                            Err(TargetError::Conflict { detail }),
                                        )),
                                        Err(error) => done.push((operation.index, Err(error))),
                                    }
                                }
                                Answer::Refused(error) => done.push((operation.index, Err(error))),
                                Answer::Again => {
                                    retry.get_or_insert(Trouble::Throttled(None));
                                    again.push(*operation);
                                }
                                Answer::Unsure => {
                                    retry = Some(Trouble::Unavailable(503, None));
                                    unsure.push(operation.index);
                                    again.push(*operation);
                                }
                            }
                        }
                        pending = again;
                        match retry {
                            None => continue,
                            Some(trouble) => trouble,
                        }
                    }
                    Err(CallError::Failed(TargetError::Rejected { status: 413, .. })) => {
                        self.learn_too_large(body.len());
                        return self.halves(accounts, pending, &unsure, limits, done).await;
                    }
                    Err(CallError::Failed(
                        error @ (TargetError::Unauthorized { .. }
                        | TargetError::Cancelled
                        | TargetError::Unavailable { .. }),
                    )) => {
                        done.extend(
                            pending
                                .iter()
                                .map(|operation| (operation.index, Err(error.clone()))),
                        );
                        return done;
                    }
                    Err(CallError::Failed(TargetError::Protocol { .. })) => {
                        // A 2xx that is not JSON, or a page: what was applied is unknown.
                        self.bulk.refused.store(true, Ordering::Relaxed);
                        unsure.extend(pending.iter().map(|operation| operation.index));
                        continue;
                    }
                    Err(CallError::Failed(_)) => {
                        // The endpoint refused the request as a whole (404, 501, 400):
                        // nothing in it was applied.
                        self.bulk.refused.store(true, Ordering::Relaxed);
                        continue;
                    }
                    Err(CallError::Uncertain(trouble)) => {
                        unsure.extend(pending.iter().map(|operation| operation.index));
                        trouble
                    }
                };
                if pending.is_empty() {
                    break;
                }
                if attempts >= t.policy.max_attempts {
                    let error = Transport::gave_up(&trouble, attempts);
                    done.extend(
                        pending
                            .iter()
                            .map(|operation| (operation.index, Err(error.clone()))),
                    );
                    return done;
                }
                if let Err(error) = t.pause(t.wait_for(&trouble, attempts)).await {
                    done.extend(
                        pending
                            .iter()
                            .map(|operation| (operation.index, Err(error.clone()))),
                    );
                    return done;
                }
                pending = self
                    .found_or_pending(accounts, pending, &unsure, &mut done)
                    .await;
                t.count_retry();
            }
            done
        })
    }

    /// Looks up the creates that may have been applied; those found are done, the rest
    /// are returned to be sent again.
    async fn found_or_pending<'a>(
        &self,
        accounts: &[AccountWrite],
        pending: Vec<&'a Operation>,
        unsure: &[usize],
        done: &mut Vec<Outcome>,
    ) -> Vec<&'a Operation> {
        let looks = pending.iter().map(|operation| async move {
            if unsure.contains(&operation.index) {
                (operation, Some(self.look(&accounts[operation.index]).await))
            } else {
                (operation, None)
            }
        });
        let mut rest = Vec::new();
        for (operation, looked) in join_all(looks).await {
            match looked {
                Some(Ok(Some(found))) => done.push((operation.index, Ok(found))),
                Some(Err(error)) => done.push((operation.index, Err(error))),
                Some(Ok(None)) | None => rest.push(*operation),
            }
        }
        rest
    }

    /// The account a create that may have been applied made, if it did.
    async fn look(&self, account: &AccountWrite) -> Result<Option<RemoteAccount>, TargetError> {
        let found = self
            .find(&account.external_id, "")
            .await?
            .into_iter()
            .next();
        if found.is_some() {
            self.transport.count_recovered_create();
        }
        Ok(found)
    }

    /// Creates each pending account with a plain POST, looking first for those an earlier
    /// attempt may have made.
    async fn one_by_one(
        &self,
        accounts: &[AccountWrite],
        pending: &[&Operation],
        unsure: &[usize],
    ) -> Vec<Outcome> {
        let creates = pending.iter().map(|operation| async move {
            let account = &accounts[operation.index];
            if unsure.contains(&operation.index) {
                match self.look(account).await {
                    Ok(Some(found)) => return (operation.index, Ok(found)),
                    Ok(None) => {}
                    Err(error) => return (operation.index, Err(error)),
                }
            }
            (operation.index, self.create_one(account).await)
        });
        join_all(creates).await
    }

    /// After a 413: the pending operations in two requests of half the size (one alone
    /// goes as a plain POST).
    async fn halves<'a>(
        &'a self,
        accounts: &'a [AccountWrite],
        pending: Vec<&'a Operation>,
        unsure: &[usize],
        limits: Limits,
        mut done: Vec<Outcome>,
    ) -> Vec<Outcome> {
        if pending.len() <= 1 {
            done.extend(self.one_by_one(accounts, &pending, unsure).await);
            return done;
        }
        let middle = pending.len() / 2;
        let (first, second) = pending.split_at(middle);
        let halves = join_all([
            self.send_bulk(accounts, first.to_vec(), limits),
            self.send_bulk(accounts, second.to_vec(), limits),
        ])
        .await;
        done.extend(halves.into_iter().flatten());
        done
    }

    fn learn_too_large(&self, size: usize) {
        self.bulk.too_large.fetch_min(size, Ordering::Relaxed);
        tracing::info!(
            bytes = size,
            "the platform refused a bulk request as too large; sending smaller ones"
        );
    }

    /// One operation's entry of a BulkResponse, as its create's outcome.
    fn read_answer(&self, entry: Option<&Value>, account: &AccountWrite, url: &str) -> Answer {
        let Some(entry) = entry else {
            return Answer::Unsure;
        };
        let Some(status) = status_of(entry) else {
            return Answer::Unsure;
        };
        match status {
            200..=299 => {
                let response = member(entry, "response").filter(|body| body.is_object());
                if let Some(body) = response
                    && let Ok(remote) = wire::account(body)
                {
                    return Answer::Created(remote);
                }
                let id = member(entry, "location")
                    .and_then(Value::as_str)
                    .and_then(id_from_location);
                let Some(id) = id else {
                    return Answer::Unsure;
                };
                let mut document = wire::user_document(account);
                if let Some(map) = document.as_object_mut() {
                    map.insert("id".into(), Value::from(id));
                }
                match wire::account(&document) {
                    Ok(remote) => Answer::Created(remote),
                    Err(error) => Answer::Refused(error),
                }
            }
            429 => Answer::Again,
            500..=599 => Answer::Unsure,
            _ => {
                let body = member(entry, "response")
                    .map(Value::to_string)
                    .unwrap_or_default();
                Answer::Refused(refusal(
                    status,
                    "application/scim+json",
                    body.as_bytes(),
                    url,
                ))
            }
        }
    }
}

/// The answers of a BulkResponse, to find each operation's.
struct Answers<'a> {
    by_bulk_id: HashMap<String, &'a Value>,
    in_order: &'a [Value],
}

impl<'a> Answers<'a> {
    /// The `Operations` of a BulkResponse; `None` when it has none.
    fn of(body: &'a Value) -> Option<Answers<'a>> {
        let Value::Array(items) = member(body, "Operations")? else {
            return None;
        };
        let mut by_bulk_id = HashMap::with_capacity(items.len());
        for entry in items {
            match member(entry, "bulkId") {
                Some(Value::String(id)) => {
                    by_bulk_id.insert(id.clone(), entry);
                }
                Some(Value::Number(number)) => {
                    by_bulk_id.insert(number.to_string(), entry);
                }
                _ => {}
            }
        }
        Some(Answers {
            by_bulk_id,
            in_order: items,
        })
    }

    /// The answer to operation `index` (its bulkId), else the one at its position when
    /// the platform answered every operation without bulkIds.
    fn get(&self, index: usize, position: usize, sent: usize) -> Option<&'a Value> {
        if let Some(entry) = self.by_bulk_id.get(&index.to_string()) {
            return Some(*entry);
        }
        if self.by_bulk_id.is_empty() && self.in_order.len() == sent {
            return self.in_order.get(position);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operations(sizes: &[usize]) -> Vec<Operation> {
        sizes
            .iter()
            .enumerate()
            .map(|(index, size)| Operation {
                index,
                text: "x".repeat(*size),
            })
            .collect()
    }

    fn shape(requests: &[Vec<&Operation>]) -> Vec<Vec<usize>> {
        requests
            .iter()
            .map(|request| request.iter().map(|operation| operation.index).collect())
            .collect()
    }

    #[test]
    fn operations_are_packed_within_both_limits_and_an_oversized_one_goes_alone() {
        let all = operations(&[100, 100, 100, 100, 100]);
        let (requests, alone) = pack(
            &all,
            Limits {
                max_operations: 2,
                max_payload: 10_000,
            },
        );
        assert_eq!(shape(&requests), vec![vec![0, 1], vec![2, 3], vec![4]]);
        assert!(alone.is_empty());

        let limit = envelope_len(2) + 200;
        let all = operations(&[100, 100, 100, limit, 50]);
        let (requests, alone) = pack(
            &all,
            Limits {
                max_operations: 1000,
                max_payload: limit,
            },
        );
        assert_eq!(shape(&requests), vec![vec![0, 1], vec![2, 4]]);
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].index, 3);
        for request in &requests {
            assert!(
                body_of(request).len() <= limit,
                "{}",
                body_of(request).len()
            );
        }
    }

    #[test]
    fn a_packed_body_is_a_bulk_request_of_the_operations_in_order() {
        let first = Operation {
            index: 0,
            text: "{\"a\":1}".into(),
        };
        let second = Operation {
            index: 1,
            text: "{\"b\":2}".into(),
        };
        let body = body_of(&[&first, &second]);
        assert_eq!(body.len(), envelope_len(2) + 14);
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parsed["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
        );
        assert_eq!(parsed["Operations"][1]["b"], 2);
    }

    #[test]
    fn ids_come_from_the_location_and_statuses_from_text_or_numbers() {
        assert_eq!(
            id_from_location("https://lms.example/scim/v2/Users/a%2Fb+c").as_deref(),
            Some("a/b+c")
        );
        assert_eq!(
            id_from_location("https://lms.example/Users/42/").as_deref(),
            Some("42")
        );
        assert_eq!(status_of(&serde_json::json!({"status": "201"})), Some(201));
        assert_eq!(status_of(&serde_json::json!({"status": 409})), Some(409));
        assert_eq!(
            status_of(&serde_json::json!({"status": {"code": 400}})),
            Some(400)
        );
        assert_eq!(status_of(&serde_json::json!({})), None);
    }

    #[test]
    fn answers_are_matched_by_bulk_id_or_else_by_position() {
        let by_id = serde_json::json!({"Operations": [
            {"bulkId": "7", "status": "409"},
            {"bulkId": "3", "status": "201"},
        ]});
        let answers = Answers::of(&by_id).unwrap();
        assert_eq!(answers.get(3, 0, 2), Some(&by_id["Operations"][1]));
        assert_eq!(answers.get(5, 1, 2), None);
        let bare = serde_json::json!({"Operations": [{"status": "201"}, {"status": "409"}]});
        let answers = Answers::of(&bare).unwrap();
        assert_eq!(answers.get(9, 1, 2), Some(&bare["Operations"][1]));
        assert_eq!(answers.get(9, 1, 3), None, "not every operation answered");
        assert!(Answers::of(&serde_json::json!({"detail": "no"})).is_none());
    }
}
