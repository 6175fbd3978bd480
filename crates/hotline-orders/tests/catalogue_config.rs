//! The shipped catalogue file parses to `Catalogue::example()`, unknown
//! keys are refused, and every broken catalogue names its problem.

use hotline_orders::{Catalogue, CatalogueConfig, CatalogueError};

const SHIPPED: &str = include_str!("../catalogue.example.toml");

fn parse(text: &str) -> Result<CatalogueConfig, toml::de::Error> {
    toml::from_str(text)
}

#[test]
fn the_shipped_file_is_the_example_catalogue() {
    let catalogue = Catalogue::new(parse(SHIPPED).unwrap()).unwrap();
    assert_eq!(catalogue, Catalogue::example());
    let days: Vec<(String, u32)> = catalogue
        .categories()
        .map(|c| (c.code.to_string(), c.deadline_working_days))
        .collect();
    assert!(days.contains(&("consultation".into(), 3)));
    assert!(days.contains(&("request".into(), 5)));
    assert!(days.contains(&("complaint".into(), 13)));
    let complaint = catalogue.category(&"complaint".into()).unwrap();
    assert_eq!(complaint.name_zh, "投诉");
    assert_eq!(
        catalogue.department(&complaint.department).unwrap().name_en,
        "Market Regulation Bureau"
    );
    assert_eq!(catalogue.streets("西城区").map(<[String]>::len), Some(2));
    assert_eq!(catalogue.follow_up().satisfied_from_score, 4);
}

#[test]
fn an_unknown_key_in_any_section_is_refused() {
    for (section, line) in [
        ("[[departments]]", "code = \"water\""),
        ("[[categories]]", "code = \"consultation\""),
        ("[[districts]]", "name = \"东城区\""),
        ("[follow_up]", "after_working_days = 1"),
    ] {
        let at = SHIPPED.find(section).unwrap();
        let line_at = at + SHIPPED[at..].find(line).unwrap();
        let mut broken = SHIPPED.to_owned();
        broken.insert_str(line_at, "colour = \"red\"\n");
        let error = parse(&broken).expect_err(section).to_string();
        assert!(error.contains("colour"), "{section}: {error}");
    }
}

fn with(edit: impl FnOnce(&mut CatalogueConfig)) -> Result<Catalogue, CatalogueError> {
    let mut config = parse(SHIPPED).unwrap();
    edit(&mut config);
    Catalogue::new(config)
}

#[test]
fn broken_catalogues_say_what_is_wrong() {
    assert_eq!(
        with(|c| c.categories.push(c.categories[0].clone())),
        Err(CatalogueError::DuplicateCategory {
            category: "consultation".into()
        })
    );
    assert_eq!(
        with(|c| c.departments.push(c.departments[1].clone())),
        Err(CatalogueError::DuplicateDepartment {
            department: "housing".into()
        })
    );
    assert_eq!(
        with(|c| c.categories[1].department = "police".into()),
        Err(CatalogueError::UnknownDepartment {
            category: "request".into(),
            department: "police".into()
        })
    );
    assert_eq!(
        with(|c| c.categories[3].deadline_working_days = 0),
        Err(CatalogueError::ZeroDeadline {
            category: "complaint".into()
        })
    );
    assert_eq!(
        with(|c| c.categories[0].name_en = " ".into()),
        Err(CatalogueError::EmptyName {
            what: "category",
            code: "consultation".into(),
            field: "name_en"
        })
    );
    assert_eq!(
        with(|c| c.departments[2].name_zh.clear()),
        Err(CatalogueError::EmptyName {
            what: "department",
            code: "market_regulation".into(),
            field: "name_zh"
        })
    );
    assert_eq!(
        with(|c| c.districts[1].streets.clear()),
        Err(CatalogueError::NoStreets {
            district: "西城区".into()
        })
    );
    assert_eq!(
        with(|c| c.districts[0].streets.push("景山街道".into())),
        Err(CatalogueError::DuplicateStreet {
            district: "东城区".into(),
            street: "景山街道".into()
        })
    );
    assert_eq!(
        with(|c| c.follow_up.satisfied_from_score = 6),
        Err(CatalogueError::SatisfiedScoreOutOfRange { score: 6 })
    );
    let message = with(|c| c.categories[1].department = "police".into())
        .unwrap_err()
        .to_string();
    assert!(message.contains("add it or fix the code"), "{message}");
}

#[test]
fn follow_up_settings_have_defaults() {
    let without: String = SHIPPED
        .lines()
        .take_while(|l| !l.starts_with("[follow_up]"))
        .map(|l| format!("{l}\n"))
        .collect();
    let catalogue = Catalogue::new(parse(&without).unwrap()).unwrap();
    assert_eq!(catalogue.follow_up().after_working_days, 1);
    assert_eq!(catalogue.follow_up().satisfied_from_score, 4);
}
