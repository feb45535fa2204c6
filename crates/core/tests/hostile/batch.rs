//! Hostile `$batch` answers over real HTTP: a reply left out, replies without a usable id,
//! a text body, and an answer that is not JSON at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rollcall_core::graph::{BatchRead, GraphClient, GraphError};

use crate::support::{RecordingSleeper, client_for, json_reply, sandbox, scripted};

fn reads(client: &GraphClient) -> Vec<BatchRead> {
    ["users/$count", "groups/g1"]
        .iter()
        .map(|path| BatchRead {
            url: client.url(path, &[]),
            eventual: true,
            what: format!("the read of {path}"),
        })
        .collect()
}

#[tokio::test]
async fn a_reply_left_out_is_asked_for_again_and_odd_replies_are_ignored() {
    let sandbox = sandbox().await;
    let batches = Arc::new(AtomicUsize::new(0));
    let seen = batches.clone();
    let graph = scripted(move |_| {
        let body = if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            // The first answer has the count, a reply without an id, one with an id that
            // was never asked for, and a number for an id: the group is left out.
            r#"{"responses":[
                {"id":"0","status":200,"headers":{"Content-Type":"text/plain"},"body":"42"},
                {"status":200,"body":{"id":"nobody"}},
                {"id":"7","status":200,"body":{"id":"stranger"}},
                {"id":1,"status":200,"body":{"id":"number"}}]}"#
        } else {
            r#"{"responses":[{"id":"1","status":200,"body":{"id":"g1","displayName":"7A"}}]}"#
        };
        Some(json_reply("200 OK", "", body))
    })
    .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = client_for(&sandbox, &graph.url).with_sleeper(sleeper);
    let answers = client.batch(&reads(&client)).await;
    assert_eq!(
        batches.load(Ordering::SeqCst),
        2,
        "the group was asked for again"
    );
    let count = answers[0].as_ref().expect("the count");
    assert_eq!(
        count.get(),
        r#""42""#,
        "a text body comes back as a JSON string"
    );
    let group = answers[1].as_ref().expect("the group");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(group.get()).unwrap()["displayName"],
        "7A"
    );
}

#[tokio::test]
async fn an_answer_that_is_not_json_fails_each_read_in_words() {
    let sandbox = sandbox().await;
    let graph = scripted(|_| Some(json_reply("200 OK", "", "<html>Gateway</html>"))).await;
    let client = client_for(&sandbox, &graph.url);
    let answers = client.batch(&reads(&client)).await;
    assert_eq!(answers.len(), 2);
    for answer in answers {
        match answer {
            Err(error @ GraphError::Unreadable { .. }) => {
                let message = error.to_string();
                assert!(message.contains("a batch of reads"), "{message}");
            }
            other => panic!("expected an unreadable answer, got {other:?}"),
        }
    }
    assert_eq!(graph.requests.load(Ordering::SeqCst), 1, "not sent again");
}
