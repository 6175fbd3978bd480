//! The dispatch catalogue: which department handles each category, in how
//! many working days, whether the citizen is called back afterwards, and
//! the districts and streets an order may be located in.
//!
//! Loaded from configuration ([`CatalogueConfig`], strict serde structs that
//! read from TOML), then checked once by [`Catalogue::new`]; orders only
//! ever see a checked catalogue. `catalogue.example.toml` beside this
//! crate's `Cargo.toml` is [`Catalogue::example`] written out, and a test
//! keeps the two equal.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{CategoryCode, DepartmentId};

/// Why a catalogue configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    #[error("department {department} is listed twice: keep one entry")]
    DuplicateDepartment { department: DepartmentId },
    #[error("category {category} is listed twice: keep one entry")]
    DuplicateCategory { category: CategoryCode },
    #[error("category {category} is handled by {department}, which is not in [[departments]]: add it or fix the code")]
    UnknownDepartment {
        category: CategoryCode,
        department: DepartmentId,
    },
    #[error("category {category} has a deadline of 0 working days: give at least 1")]
    ZeroDeadline { category: CategoryCode },
    #[error("{what} {code} has an empty {field}: every name is shown to agents and citizens")]
    EmptyName {
        what: &'static str,
        code: String,
        field: &'static str,
    },
    #[error("district {district} is listed twice: keep one entry")]
    DuplicateDistrict { district: String },
    #[error("street {street} is listed twice in district {district}")]
    DuplicateStreet { district: String, street: String },
    #[error("district {district} has no streets: list its streets (街道)")]
    NoStreets { district: String },
    #[error("follow_up.satisfied_from_score is {score}: scores run from 1 to 5")]
    SatisfiedScoreOutOfRange { score: u8 },
}

/// A catalogue as configured: `[[departments]]`, `[[categories]]`,
/// `[[districts]]` and an optional `[follow_up]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueConfig {
    pub departments: Vec<DepartmentConfig>,
    pub categories: Vec<CategoryConfig>,
    #[serde(default)]
    pub districts: Vec<DistrictConfig>,
    #[serde(default)]
    pub follow_up: FollowUpConfig,
}

/// One handling department.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentConfig {
    pub code: DepartmentId,
    pub name_zh: String,
    pub name_en: String,
}

/// One category of request and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryConfig {
    pub code: CategoryCode,
    pub name_zh: String,
    pub name_en: String,
    /// The handling department's code.
    pub department: DepartmentId,
    /// Working days from dispatch to close (see the calendar's deadline rule).
    pub deadline_working_days: u32,
    /// Whether the citizen is called back (回访) after the order is closed.
    pub follow_up: bool,
}

/// A district (区) and its streets (街道).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrictConfig {
    pub name: String,
    pub streets: Vec<String>,
}

/// When follow-up calls are due and which scores count as satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpConfig {
    /// The follow-up is due at the start of this working day after the close.
    #[serde(default = "default_after_working_days")]
    pub after_working_days: u32,
    /// Scores from this one up (of 1–5) are satisfied; lower ones reopen the order.
    #[serde(default = "default_satisfied_from_score")]
    pub satisfied_from_score: u8,
}

fn default_after_working_days() -> u32 {
    1
}

fn default_satisfied_from_score() -> u8 {
    4
}

impl Default for FollowUpConfig {
    fn default() -> Self {
        Self {
            after_working_days: default_after_working_days(),
            satisfied_from_score: default_satisfied_from_score(),
        }
    }
}

/// A checked category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: CategoryCode,
    pub name_zh: String,
    pub name_en: String,
    pub department: DepartmentId,
    pub deadline_working_days: u32,
    pub follow_up: bool,
}

/// A checked department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub code: DepartmentId,
    pub name_zh: String,
    pub name_en: String,
}

/// The checked catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    departments: BTreeMap<DepartmentId, Department>,
    categories: BTreeMap<CategoryCode, Category>,
    /// District → its streets, in configured order.
    districts: BTreeMap<String, Vec<String>>,
    follow_up: FollowUpConfig,
}

impl Catalogue {
    /// Checks a configuration: unique codes, known departments, deadlines
    /// of at least one working day, no empty names, streets per district.
    pub fn new(config: CatalogueConfig) -> Result<Self, CatalogueError> {
        let mut departments = BTreeMap::new();
        for d in config.departments {
            check_names("department", d.code.as_str(), &d.name_zh, &d.name_en)?;
            if departments.contains_key(&d.code) {
                return Err(CatalogueError::DuplicateDepartment { department: d.code });
            }
            departments.insert(
                d.code.clone(),
                Department {
                    code: d.code,
                    name_zh: d.name_zh,
                    name_en: d.name_en,
                },
            );
        }
        let mut categories = BTreeMap::new();
        for c in config.categories {
            check_names("category", c.code.as_str(), &c.name_zh, &c.name_en)?;
            if categories.contains_key(&c.code) {
                return Err(CatalogueError::DuplicateCategory { category: c.code });
            }
            if !departments.contains_key(&c.department) {
                return Err(CatalogueError::UnknownDepartment {
                    category: c.code,
                    department: c.department,
                });
            }
            if c.deadline_working_days == 0 {
                return Err(CatalogueError::ZeroDeadline { category: c.code });
            }
            categories.insert(
                c.code.clone(),
                Category {
                    code: c.code,
                    name_zh: c.name_zh,
                    name_en: c.name_en,
                    department: c.department,
                    deadline_working_days: c.deadline_working_days,
                    follow_up: c.follow_up,
                },
            );
        }
        let mut districts = BTreeMap::new();
        for d in config.districts {
            if d.name.trim().is_empty() {
                return Err(CatalogueError::EmptyName {
                    what: "district",
                    code: d.name,
                    field: "name",
                });
            }
            if districts.contains_key(&d.name) {
                return Err(CatalogueError::DuplicateDistrict { district: d.name });
            }
            if d.streets.is_empty() {
                return Err(CatalogueError::NoStreets { district: d.name });
            }
            let mut streets: Vec<String> = Vec::with_capacity(d.streets.len());
            for street in d.streets {
                if street.trim().is_empty() {
                    return Err(CatalogueError::EmptyName {
                        what: "district",
                        code: d.name,
                        field: "street name",
                    });
                }
                if streets.contains(&street) {
                    return Err(CatalogueError::DuplicateStreet {
                        district: d.name,
                        street,
                    });
                }
                streets.push(street);
            }
            districts.insert(d.name, streets);
        }
        let score = config.follow_up.satisfied_from_score;
        if !(1..=5).contains(&score) {
            return Err(CatalogueError::SatisfiedScoreOutOfRange { score });
        }
        Ok(Self {
            departments,
            categories,
            districts,
            follow_up: config.follow_up,
        })
    }

    /// A small city's catalogue: consultations in 3 working days, requests
    /// in 5, complaints in 13 (the figures of `catalogue.example.toml`).
    pub fn example() -> Self {
        Self::new(example_config()).expect("the example catalogue is valid")
    }

    pub fn category(&self, code: &CategoryCode) -> Option<&Category> {
        self.categories.get(code)
    }

    pub fn department(&self, code: &DepartmentId) -> Option<&Department> {
        self.departments.get(code)
    }

    pub fn categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.values()
    }

    pub fn departments(&self) -> impl Iterator<Item = &Department> {
        self.departments.values()
    }

    /// The streets of a district, `None` for a district not configured.
    pub fn streets(&self, district: &str) -> Option<&[String]> {
        self.districts.get(district).map(Vec::as_slice)
    }

    pub fn districts(&self) -> impl Iterator<Item = &str> {
        self.districts.keys().map(String::as_str)
    }

    pub fn follow_up(&self) -> FollowUpConfig {
        self.follow_up
    }
}

fn check_names(
    what: &'static str,
    code: &str,
    name_zh: &str,
    name_en: &str,
) -> Result<(), CatalogueError> {
    let empty = |field| CatalogueError::EmptyName {
        what,
        code: code.to_owned(),
        field,
    };
    if code.trim().is_empty() {
        return Err(empty("code"));
    }
    if name_zh.trim().is_empty() {
        return Err(empty("name_zh"));
    }
    if name_en.trim().is_empty() {
        return Err(empty("name_en"));
    }
    Ok(())
}

fn example_config() -> CatalogueConfig {
    let department = |code: &str, zh: &str, en: &str| DepartmentConfig {
        code: code.into(),
        name_zh: zh.to_owned(),
        name_en: en.to_owned(),
    };
    let category =
        |code: &str, zh: &str, en: &str, dept: &str, days: u32, follow_up: bool| CategoryConfig {
            code: code.into(),
            name_zh: zh.to_owned(),
            name_en: en.to_owned(),
            department: dept.into(),
            deadline_working_days: days,
            follow_up,
        };
    let district = |name: &str, streets: &[&str]| DistrictConfig {
        name: name.to_owned(),
        streets: streets.iter().map(|s| (*s).to_owned()).collect(),
    };
    CatalogueConfig {
        departments: vec![
            department(
                "government_services",
                "政务服务管理局",
                "Government Services Bureau",
            ),
            department(
                "housing",
                "住房和城乡建设局",
                "Housing and Urban-Rural Development Bureau",
            ),
            department(
                "market_regulation",
                "市场监督管理局",
                "Market Regulation Bureau",
            ),
            department("water", "水务局", "Water Authority"),
        ],
        categories: vec![
            category(
                "consultation",
                "咨询",
                "Consultation",
                "government_services",
                3,
                false,
            ),
            category("request", "求助", "Request for help", "housing", 5, true),
            category("water_outage", "停水", "Water outage", "water", 5, true),
            category(
                "complaint",
                "投诉",
                "Complaint",
                "market_regulation",
                13,
                true,
            ),
        ],
        districts: vec![
            district("东城区", &["东华门街道", "景山街道", "交道口街道"]),
            district("西城区", &["西长安街街道", "新街口街道"]),
        ],
        follow_up: FollowUpConfig::default(),
    }
}
