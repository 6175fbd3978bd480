//! Erasing a citizen blanks what their work orders say about them, in the
//! row and in every event of the log (summary, address, coordinates, notes,
//! replies, reasons), while the log still folds and the order keeps its
//! category, department, street, times and figures. The export before it
//! holds the log.

mod common;

use common::orders::*;
use common::*;
use hotline_orders::{Command, Coordinates, Phase};
use hotline_store::{NewCitizen, NewWorkOrder};

const NAME: &str = "Zhao Xiaoming";
const ADDRESS: &str = "景山前街 4 号 3 单元 701";
const MOBILE: &str = "+8613900000777";

#[tokio::test]
async fn erasure_blanks_work_order_texts() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let citizen = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: NAME.into(),
                    phones: vec![MOBILE.into()],
                    ..NewCitizen::default()
                },
            )
            .await
            .unwrap();
        let mut new = NewWorkOrder {
            summary: format!("{NAME} reports water in the stairwell, call {MOBILE}"),
            ..new_order("request", Some(citizen))
        };
        new.location.address = ADDRESS.into();
        new.location.coordinates = Some(Coordinates {
            latitude: 39.9245,
            longitude: 116.3966,
        });
        let created = s
            .create_work_order(
                &desk_ctx("li.agent", at(0)),
                desk.rules(),
                at(0),
                &agent(),
                new,
            )
            .await
            .unwrap();
        let order = created.order.reference().clone();
        desk.ok(s, at(1), &agent(), &order, Command::Dispatch).await;
        desk.ok(s, at(2), &housing(), &order, Command::Accept).await;
        desk.ok(
            s,
            at(3),
            &housing(),
            &order,
            Command::AddNote {
                text: format!("{NAME} was not at home"),
            },
        )
        .await;
        desk.ok(
            s,
            at(4),
            &housing(),
            &order,
            Command::Reply {
                text: format!("told {NAME} on {MOBILE}"),
            },
        )
        .await;
        desk.ok(s, at(5), &housing(), &order, Command::Close).await;
        assert_eq!(
            ts.row_column(&order, "address").await.as_deref(),
            Some(ADDRESS)
        );

        let export = s.export_citizen(&admin(10), citizen).await.unwrap();
        let events = export["cases"][0]["work_order_events"].as_array().unwrap();
        assert_eq!(events.len(), 7, "{label}: the export holds the log");
        assert_eq!(events[0]["change"]["kind"], "created");

        let report = s.erase_citizen(&admin(20), citizen).await.unwrap();
        assert_eq!(report.cases_anonymised, 1);
        assert_eq!(
            report.order_events_anonymised, 3,
            "{label}: created, note, reply"
        );

        for (table, column) in ts.text_columns().await {
            for value in ts
                .raw_strings(&format!("SELECT {column} FROM {table}"))
                .await
                .into_iter()
                .flatten()
            {
                for needle in [NAME, MOBILE, ADDRESS, "13900000777"] {
                    assert!(
                        !value.contains(needle),
                        "{label}: {table}.{column} still holds {needle:?}: {value:?}"
                    );
                }
            }
        }
        assert!(ts.row_column(&order, "latitude").await.is_none());
        assert!(ts.row_column(&order, "citizen_id").await.is_none());

        // The order is still an order.
        let read = s.work_order(&admin(30), &order).await.unwrap().unwrap();
        assert_eq!(read.events, 7);
        assert_eq!(read.order.phase(), Phase::Closed);
        assert_eq!(read.order.summary(), "[erased]");
        assert_eq!(read.order.location().street, "景山街道");
        assert!(read.order.location().coordinates.is_none());
        assert_eq!(read.order.reply(), Some("[erased]"));
        assert_eq!(read.order.notes()[0].by.as_str(), "wang.housing");
        assert_eq!(
            ts.row_column(&order, "status").await.as_deref(),
            Some("closed")
        );
        ts.finish().await;
    }
}
