//! What the nodes of a centre share for their one ACD: each node's phone
//! registrations (on both backends); and, on PostgreSQL, a centre named
//! after the schema its URL's search path gives, messages that
//! arrive in the order they were sent (a long one through `bus_spill`,
//! and only on the channel listened to), and one lock that only one
//! holder has at a time and that is free again when its holder goes.

mod common;

use std::time::Duration;

use common::*;
use hotline_store::{Backend, Heard, Registration};

fn phone(user: &str, port: u16, expires_at_ms: i64) -> Registration {
    Registration {
        sip_user: user.into(),
        contact: format!("sip:{user}@127.0.0.1:{port}"),
        source: "127.0.0.9:5060".into(),
        transport: "Udp".into(),
        digest: Some("MD5".into()),
        expires_at_ms,
        node_id: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_follow_each_node() {
    for ts in stores().await {
        let s = &ts.store;
        let l = &ts.label;
        s.put_registrations(
            "n1",
            &[
                phone("agent1", 5061, T0 + 60_000),
                phone("agent2", 5062, T0 + 60_000),
            ],
        )
        .await
        .unwrap();
        let got = s.registration("agent1", T0).await.unwrap().expect("agent1");
        assert_eq!(got.node_id, "n1", "{l}");
        assert_eq!(got.contact, "sip:agent1@127.0.0.1:5061", "{l}");
        // Expired: not found.
        assert!(
            s.registration("agent1", T0 + 60_000)
                .await
                .unwrap()
                .is_none(),
            "{l}"
        );
        // agent2 moves to n2; n1 now holds only agent1.
        s.put_registrations("n2", &[phone("agent2", 6062, T0 + 90_000)])
            .await
            .unwrap();
        s.put_registrations("n1", &[phone("agent1", 5061, T0 + 60_000)])
            .await
            .unwrap();
        let moved = s.registration("agent2", T0).await.unwrap().expect("agent2");
        assert_eq!(
            (moved.node_id.as_str(), moved.contact.as_str()),
            ("n2", "sip:agent2@127.0.0.1:6062"),
            "{l}"
        );
        // n1's phone unregisters: gone; n2's stays.
        s.put_registrations("n1", &[]).await.unwrap();
        assert!(s.registration("agent1", T0).await.unwrap().is_none(), "{l}");
        assert!(s.registration("agent2", T0).await.unwrap().is_some(), "{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_arrive_in_order_and_one_node_holds_the_lock() {
    for ts in stores().await {
        let s = &ts.store;
        let l = &ts.label;
        if s.backend() == Backend::Sqlite {
            assert!(
                s.centre_name().await.is_err(),
                "{l}: a centre needs PostgreSQL"
            );
            assert!(s.try_lead("hotline.public.acd").await.is_err(), "{l}");
            assert!(s.bus_listener().await.is_err(), "{l}");
            continue;
        }
        let centre = s.centre_name().await.unwrap();
        assert!(
            centre.starts_with("hotline.") && centre != "hotline.public",
            "{l}: the test's own schema: {centre}"
        );
        let mine = format!("{centre}.node.n1");
        let other = format!("{centre}.node.n2");
        let mut listener = s.bus_listener().await.unwrap();
        listener.listen(&mine).await.unwrap();
        let long = "x".repeat(20_000);
        let sent: Vec<(String, String)> = vec![
            (mine.clone(), "first".into()),
            (other.clone(), "not for n1".into()),
            (mine.clone(), long.clone()),
            (mine.clone(), "third".into()),
        ];
        s.bus_send(&sent).await.unwrap();
        let mut heard = Vec::new();
        while heard.len() < 3 {
            match tokio::time::timeout(Duration::from_secs(5), listener.recv())
                .await
                .expect("a message within 5 s")
                .unwrap()
            {
                Heard::Message { channel, body } => {
                    assert_eq!(channel, mine, "{l}");
                    heard.push(body);
                }
                Heard::Lost => panic!("{l}: the listener lost its connection"),
            }
        }
        assert_eq!(
            heard,
            vec!["first".to_owned(), long, "third".to_owned()],
            "{l}"
        );

        let mut held = s
            .try_lead(&format!("{centre}.acd"))
            .await
            .unwrap()
            .expect("the lock is free");
        assert!(held.holds().await, "{l}");
        assert!(
            s.try_lead(&format!("{centre}.acd"))
                .await
                .unwrap()
                .is_none(),
            "{l}: held by one at a time"
        );
        // Another lock name is another lock.
        assert!(
            s.try_lead(&format!("{centre}.other"))
                .await
                .unwrap()
                .is_some(),
            "{l}"
        );
        drop(held);
        // The connection closes when dropped; the lock is free right after.
        let mut free = None;
        for _ in 0..50 {
            free = s.try_lead(&format!("{centre}.acd")).await.unwrap();
            if free.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(free.is_some(), "{l}: free again once its holder went");
    }
}
