//! Two writers on one order (two tasks on two store handles, as two nodes
//! would be): each command is decided on the log as it is when appended,
//! so both succeed in some order, or one is decided again and refused, or
//! gives up with a conflict; the log never has a gap or a duplicate, and
//! the row counts exactly the events in it.

mod common;

use std::sync::Arc;

use common::orders::*;
use common::*;
use hotline_orders::{Actor, Command, OrderError, Phase};
use hotline_store::{Store, StoreError, StoredOrder};
use hotline_types::CaseRef;

const NOTES_PER_WRITER: usize = 12;

async fn act(
    store: &Store,
    desk: &Desk,
    actor: &Actor,
    order: &CaseRef,
    command: Command,
) -> Result<StoredOrder, StoreError> {
    let now = at(HOUR);
    store
        .act_on_order(
            &desk_ctx(actor.user.as_str(), now),
            desk.rules(),
            now,
            actor,
            order,
            command,
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_acts_leave_a_log_without_gaps() {
    let desk = Arc::new(Desk::beijing());
    for ts in stores().await {
        let label = ts.label;
        let s = ts.store.clone();
        let other_node = ts.reopen().await;

        // Two handlers take on the same order at once: one gets it, the
        // other is refused by the core (decided again on the fresh log) or
        // runs out of attempts.
        let order = desk.dispatched(&s, at(0), "request", None).await;
        let mut tasks = Vec::new();
        for (store, actor) in [(s.clone(), housing()), (other_node.clone(), housing_too())] {
            let (desk, order) = (desk.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                act(&store, &desk, &actor, &order, Command::Accept).await
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(stored) => winners.push(stored),
                Err(StoreError::Order(OrderError::WrongPhase {
                    phase: Phase::InProgress,
                    ..
                }))
                | Err(StoreError::OrderConflict { .. }) => {}
                Err(e) => panic!("{label}: {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "{label}: exactly one accepts");
        let handler = winners[0].order.handler().cloned().unwrap();
        assert_eq!(ts.log_seqs(&order).await, [1, 2, 3], "{label}");
        assert_eq!(
            ts.row_column(&order, "handler").await.as_deref(),
            Some(handler.as_str()),
            "{label}: the row names the handler in the log"
        );
        let winner = if handler.as_str() == "wang.housing" {
            housing()
        } else {
            housing_too()
        };

        // Two writers add notes as fast as they can.
        let mut tasks = Vec::new();
        for (writer, store) in [s.clone(), other_node.clone()].into_iter().enumerate() {
            let (desk, order, actor) = (desk.clone(), order.clone(), winner.clone());
            tasks.push(tokio::spawn(async move {
                let mut written = Vec::new();
                let mut conflicts = 0;
                for i in 0..NOTES_PER_WRITER {
                    let text = format!("writer {writer} note {i}");
                    match act(
                        &store,
                        &desk,
                        &actor,
                        &order,
                        Command::AddNote { text: text.clone() },
                    )
                    .await
                    {
                        Ok(_) => written.push(text),
                        Err(StoreError::OrderConflict { attempts, .. }) => {
                            assert_eq!(attempts, hotline_store::ACT_ATTEMPTS);
                            conflicts += 1;
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                (written, conflicts)
            }));
        }
        let mut written = Vec::new();
        for task in tasks {
            let (notes, conflicts) = task.await.unwrap();
            eprintln!(
                "{label}: {} notes written, {conflicts} conflicts",
                notes.len()
            );
            assert!(!notes.is_empty(), "{label}: a writer never got through");
            written.extend(notes);
        }

        let n = 3 + written.len() as i64;
        assert_eq!(
            ts.log_seqs(&order).await,
            (1..=n).collect::<Vec<_>>(),
            "{label}: no gap, no duplicate"
        );
        assert_eq!(
            ts.row_column(&order, "event_count").await,
            Some(n.to_string()),
            "{label}"
        );
        let read = s
            .work_order(&desk_ctx("chen.supervisor", at(DAY)), &order)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.events, n as u64);
        let mut in_log: Vec<String> = read.order.notes().iter().map(|n| n.text.clone()).collect();
        in_log.sort();
        written.sort();
        assert_eq!(
            in_log, written,
            "{label}: every note granted is in the log, once"
        );
        other_node.close().await;
        ts.finish().await;
    }
}
