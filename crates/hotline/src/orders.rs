//! Work orders' rules from the configuration: the dispatch catalogue
//! (`orders.catalogue`, or the shipped example) and the working-day
//! calendar (`orders.working_weekdays` plus the IVR's holiday file named by
//! `orders.calendar`), checked once at start so that a broken catalogue or
//! calendar stops the hotline with the file and the reason, not the first
//! order.

use std::path::Path;

use anyhow::{bail, Context};
use hotline_ivr::DayOverride;
use hotline_orders::{
    CalendarSpec, Catalogue, CatalogueConfig, CategoryCode, OrderRules, WorkingCalendar,
};
use tracing::warn;

use crate::config::OrdersConfig;

/// The calendar the hotline ships, used when `orders.calendar` is empty.
const SHIPPED_CALENDAR: &str = "calendars/cn.toml";

/// Loads and checks the catalogue and the calendar; `scripts_dir` is where
/// the calendar file is looked up (as the IVR's schedules do).
pub fn load(config: &OrdersConfig, scripts_dir: &Path) -> anyhow::Result<OrderRules> {
    let catalogue = match &config.catalogue {
        None => Catalogue::example(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("orders.catalogue: cannot read {}", path.display()))?;
            let raw: CatalogueConfig = toml::from_str(&text)
                .with_context(|| format!("orders.catalogue: {}", path.display()))?;
            Catalogue::new(raw).with_context(|| format!("orders.catalogue: {}", path.display()))?
        }
    };
    let mut working_weekdays = Vec::new();
    for name in &config.working_weekdays {
        match hotline_ivr::parse_weekday(name) {
            Some(day) => working_weekdays.push(day),
            None => bail!(
                "orders.working_weekdays: {name:?} is not a weekday (write mon, tue, wed, thu, fri, sat or sun)"
            ),
        }
    }
    let mut spec = CalendarSpec {
        time_zone: config.timezone.clone(),
        working_weekdays,
        holidays: Vec::new(),
        make_up_workdays: Vec::new(),
    };
    let calendar_file = match &config.calendar {
        Some(file) => Some(scripts_dir.join(file)),
        None => {
            let shipped = scripts_dir.join(SHIPPED_CALENDAR);
            if shipped.exists() {
                Some(shipped)
            } else {
                warn!(
                    scripts = %scripts_dir.display(),
                    "work orders: no holiday calendar (orders.calendar, or {SHIPPED_CALENDAR} in the scripts folder): deadlines count weekdays only"
                );
                None
            }
        }
    };
    if let Some(path) = calendar_file {
        let days = hotline_ivr::read_calendar(&path).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("orders.calendar:\n{}", lines.join("\n"))
        })?;
        for (date, day) in days {
            match day {
                DayOverride::Holiday { .. } => spec.holidays.push(date),
                DayOverride::Workday { .. } => spec.make_up_workdays.push(date),
            }
        }
    }
    let calendar = WorkingCalendar::new(spec).context("orders: the working-day calendar")?;
    for client in &config.open311_clients {
        if client.name.trim().is_empty() || client.api_key.chars().count() < 16 {
            bail!(
                "orders.open311_clients: every client needs a name and an api_key of at least 16 characters (client {:?})",
                client.name
            );
        }
    }
    let voice = CategoryCode::from(config.voice_message_category.as_str());
    if catalogue.category(&voice).is_none() {
        let known: Vec<String> = catalogue.categories().map(|c| c.code.to_string()).collect();
        bail!(
            "orders.voice_message_category: {voice} is not a category of the catalogue; use one of {known:?}"
        );
    }
    Ok(OrderRules {
        catalogue,
        calendar,
        due_soon_working_days: config.due_soon_working_days,
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hotline_types::Timestamp;

    use super::*;

    fn scripts_dir() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ivr_scripts"))
    }

    fn millis(zoned: &str) -> Timestamp {
        let at: jiff::Zoned = zoned.parse().expect("a zoned time");
        Timestamp(at.timestamp().as_millisecond())
    }

    #[test]
    fn the_default_configuration_loads_the_example_and_china_s_calendar() {
        let rules = load(&OrdersConfig::default(), &scripts_dir()).expect("loads");
        assert!(rules
            .catalogue
            .category(&hotline_orders::CategoryCode::from("consultation"))
            .is_some());
        // Accepted on Wednesday 30 September 2026: National Day's week
        // (1-7 October) does not count; Thursday 8, Friday 9 and the
        // make-up Saturday 10 October do.
        let accepted = millis("2026-09-30T10:00[Asia/Shanghai]");
        let due = rules.calendar.deadline(accepted, 3).expect("a deadline");
        assert_eq!(due, millis("2026-10-11T00:00[Asia/Shanghai]"));
        let lines = rules.describe(accepted);
        assert!(
            lines.iter().any(|l| l.starts_with("consultation (Consultation): government_services, 3 working days, due by the end of 2026-10-10 if accepted now")),
            "{lines:#?}"
        );
    }

    #[test]
    fn weekdays_only_without_a_calendar() {
        let empty = tempfile::tempdir().expect("temp dir");
        let rules = load(&OrdersConfig::default(), empty.path()).expect("loads");
        let accepted = millis("2026-09-30T10:00[Asia/Shanghai]");
        assert_eq!(
            rules.calendar.deadline(accepted, 3).expect("a deadline"),
            millis("2026-10-06T00:00[Asia/Shanghai]")
        );
    }

    #[test]
    fn a_broken_catalogue_weekday_or_calendar_stops_the_start_with_the_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalogue = dir.path().join("catalogue.toml");
        std::fs::write(
            &catalogue,
            "[[departments]]\ncode = \"water\"\nname_zh = \"水务局\"\nname_en = \"Water\"\n\
             [[categories]]\ncode = \"leak\"\nname_zh = \"漏水\"\nname_en = \"Leak\"\n\
             department = \"roads\"\ndeadline_working_days = 5\nfollow_up = true\n",
        )
        .expect("write");
        let config = OrdersConfig {
            catalogue: Some(catalogue.clone()),
            ..OrdersConfig::default()
        };
        let err = format!("{:#}", load(&config, &scripts_dir()).unwrap_err());
        assert!(
            err.contains("roads") && err.contains("catalogue.toml"),
            "{err}"
        );

        let config = OrdersConfig {
            working_weekdays: vec!["monday".into()],
            ..OrdersConfig::default()
        };
        let err = format!("{:#}", load(&config, &scripts_dir()).unwrap_err());
        assert!(err.contains("\"monday\" is not a weekday"), "{err}");

        let config = OrdersConfig {
            calendar: Some(PathBuf::from("calendars/missing.toml")),
            ..OrdersConfig::default()
        };
        let err = format!("{:#}", load(&config, &scripts_dir()).unwrap_err());
        assert!(
            err.contains("missing.toml") && err.contains("cannot read"),
            "{err}"
        );

        let config = OrdersConfig {
            timezone: "Mars/Olympus".into(),
            ..OrdersConfig::default()
        };
        assert!(load(&config, &scripts_dir()).is_err());
    }
}
