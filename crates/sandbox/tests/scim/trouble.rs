//! Trouble at the connection and rate level: a write rate beyond which writes are 429 with
//! Retry-After, connections reset before a write, and replies lost after a write.

use crate::{Platform, user};

#[tokio::test]
async fn writes_beyond_the_rate_are_429_with_retry_after_and_change_nothing() {
    let platform = Platform::start().await;
    platform.service.limit_write_rate(Some(3.0));
    let mut statuses = Vec::new();
    for n in 0..5 {
        let reply = platform
            .post_user(&user(&format!("u{n}@example.com")))
            .await;
        if reply.status == 429 {
            assert_eq!(reply.header("retry-after"), Some("1"));
        }
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    assert_eq!(platform.service.user_count(), 3);
    assert_eq!(platform.service.trouble_counts().throttled, 2);
    assert_eq!(
        platform.get("/Users").await.status,
        200,
        "reads are not limited"
    );
    platform.service.limit_write_rate(None);
    assert_eq!(
        platform.post_user(&user("later@example.com")).await.status,
        201
    );
}

#[tokio::test]
async fn a_reset_changes_nothing_and_a_lost_reply_changes_everything() {
    let platform = Platform::start().await;
    platform.service.reset_next_writes(1);
    let reset = platform
        .request(reqwest::Method::POST, "/Users")
        .header("content-type", "application/scim+json")
        .body(user("ada@example.com").to_string())
        .send()
        .await;
    let failed = match reset {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the client must see the connection fail");
    assert_eq!(platform.service.user_count(), 0);

    platform.service.lose_next_replies(1);
    let lost = platform
        .request(reqwest::Method::POST, "/Users")
        .header("content-type", "application/scim+json")
        .body(user("ada@example.com").to_string())
        .send()
        .await;
    let failed = match lost {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the client must not get the answer");
    assert_eq!(platform.service.user_count(), 1, "the write was applied");
    let counts = platform.service.trouble_counts();
    assert_eq!((counts.resets, counts.lost_replies), (1, 1));
    assert_eq!(
        platform.post_user(&user("bob@example.com")).await.status,
        201
    );
}
