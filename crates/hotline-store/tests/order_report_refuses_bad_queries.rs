//! The order report answers a clear error, never a panic or an empty
//! table, to an interval that ends before it starts or not on local
//! midnights, an offset other than the one the figures are kept in, an
//! unknown grouping or bucket name, and an empty key.

mod common;
mod order_report_support;

use common::*;
use hotline_store::{OrderBucket, OrderGrouping, OrderReportQuery, StoreError};
use hotline_types::Timestamp;
use order_report_support::*;

fn field_of(e: StoreError) -> &'static str {
    match e {
        StoreError::InvalidValue { field, .. } => field,
        other => panic!("not an invalid value: {other}"),
    }
}

#[tokio::test]
async fn order_report_refuses_bad_queries() {
    for ts in stores().await {
        let s = &ts.store;
        let good = OrderReportQuery {
            from: Timestamp(day("2026-10-01")),
            to: Timestamp(day("2026-11-01")),
            bucket: OrderBucket::Month,
            utc_offset_minutes: 480,
            grouping: OrderGrouping::Department,
            only: None,
            now: local("2026-11-02T00:00"),
        };
        assert_eq!(s.order_report(&good).await.unwrap(), vec![], "{}", ts.label);
        assert_eq!(s.order_report_offset().await.unwrap(), 480);

        let mut q = good.clone();
        q.to = q.from;
        assert_eq!(field_of(s.order_report(&q).await.unwrap_err()), "interval");
        let mut q = good.clone();
        q.from = local("2026-10-01T09:00");
        assert_eq!(field_of(s.order_report(&q).await.unwrap_err()), "interval");
        let mut q = good.clone();
        q.utc_offset_minutes = 0;
        let e = s.order_report(&q).await.unwrap_err();
        assert!(e.to_string().contains("480"), "{e}");
        assert_eq!(field_of(e), "utc_offset_minutes");
        let mut q = good.clone();
        q.utc_offset_minutes = 7;
        assert_eq!(
            field_of(s.order_report(&q).await.unwrap_err()),
            "utc_offset_minutes"
        );
        let mut q = good.clone();
        q.only = Some("  ".into());
        assert_eq!(field_of(s.order_report(&q).await.unwrap_err()), "only");
        let mut q = good.clone();
        q.from = Timestamp(0);
        q.bucket = OrderBucket::Week;
        assert!(s.order_report(&q).await.is_err(), "before the first Monday");

        // What an HTTP layer parses.
        assert_eq!(
            field_of("queue".parse::<OrderGrouping>().unwrap_err()),
            "grouping"
        );
        assert_eq!(
            field_of("year".parse::<OrderBucket>().unwrap_err()),
            "bucket"
        );
        assert_eq!(
            "street".parse::<OrderGrouping>().unwrap(),
            OrderGrouping::Street
        );
        // A rebuild at a nonsense offset is refused and changes nothing.
        assert_eq!(
            field_of(s.rebuild_order_report(1_000_000).await.unwrap_err()),
            "utc_offset_minutes"
        );
        assert_eq!(s.order_report_offset().await.unwrap(), 480);
        ts.finish().await;
    }
}
