//! Reads for the agent console: an audited citizen search by phone number,
//! national ID or name, and which citizen a case belongs to.
//!
//! The search writes one audit entry for the search itself (even when it
//! finds nobody, so fishing shows in the log) and one per record returned.

use hotline_types::{CaseRef, CitizenId};

use crate::audit::{insert_audit, Access, AuditContext};
use crate::citizens::{normalize_phone, CitizenRecord};
use crate::db::with_pool;
use crate::error::{Result, StoreError};
use crate::Store;

/// Most people one search returns.
pub const MAX_SEARCH_RESULTS: u32 = 50;

/// Shortest name fragment searched for (in characters).
pub const MIN_SEARCH_CHARS: usize = 2;

impl Store {
    /// Finds citizens whose phone number or national ID is `query`, or whose
    /// name contains it (case-insensitive for ASCII letters), at most
    /// `limit` people (capped at [`MAX_SEARCH_RESULTS`]), phone and ID
    /// matches first. `ctx.access` must be [`Access::Search`]. A name search
    /// scans the citizens table: it is for explicit searches, not for calls.
    pub async fn search_citizens(
        &self,
        ctx: &AuditContext,
        query: &str,
        limit: u32,
    ) -> Result<Vec<CitizenRecord>> {
        ctx.check()?;
        if !matches!(ctx.access, Access::Search(_)) {
            return Err(StoreError::InvalidValue {
                field: "access",
                reason: "a citizen search is audited as a search".into(),
            });
        }
        let query = query.trim();
        let chars = query.chars().count();
        if !(MIN_SEARCH_CHARS..=100).contains(&chars) {
            return Err(StoreError::InvalidValue {
                field: "search",
                reason: format!("use {MIN_SEARCH_CHARS} to 100 characters"),
            });
        }
        if query.chars().any(char::is_control) {
            return Err(StoreError::InvalidValue {
                field: "search",
                reason: "it contains control characters".into(),
            });
        }
        let limit = i64::from(limit.clamp(1, MAX_SEARCH_RESULTS));
        with_pool!(self, |pool| {
            insert_audit!(pool, ctx, "search", None, None)?;
        });

        let mut found: Vec<CitizenRecord> = Vec::new();
        let seen = |found: &[CitizenRecord], id: i64| found.iter().any(|r| r.citizen.id.0 == id);

        if let Ok(number) = normalize_phone(query) {
            let ids: Vec<i64> = with_pool!(self, |pool| {
                sqlx::query_scalar(
                    "SELECT p.citizen_id FROM citizen_phones p JOIN citizens c ON c.citizen_id = p.citizen_id \
                     WHERE p.number = $1 AND c.erased_at_ms IS NULL ORDER BY p.citizen_id LIMIT $2",
                )
                .bind(&number)
                .bind(limit)
                .fetch_all(pool)
                .await?
            });
            for id in ids {
                if !seen(&found, id) {
                    if let Some(r) = self.citizen_record(ctx, CitizenId(id), "search").await? {
                        found.push(r);
                    }
                }
            }
        }

        // Anything that is not a valid national ID simply matches nobody.
        match self.citizen_by_national_id(ctx, query).await {
            Ok(Some(r)) if !seen(&found, r.citizen.id.0) => found.push(r),
            Ok(_) | Err(StoreError::InvalidValue { .. }) => {}
            Err(e) => return Err(e),
        }

        let has_letters = query.chars().any(|c| !c.is_ascii_digit() && c != '+');
        let room = limit - i64::try_from(found.len()).unwrap_or(limit);
        if has_letters && room > 0 {
            let pattern = format!("%{}%", escape_like(&query.to_lowercase()));
            let ids: Vec<i64> = with_pool!(self, |pool| {
                sqlx::query_scalar(
                    "SELECT citizen_id FROM citizens WHERE erased_at_ms IS NULL \
                     AND lower(full_name) LIKE $1 ESCAPE '\\' ORDER BY citizen_id LIMIT $2",
                )
                .bind(&pattern)
                .bind(room)
                .fetch_all(pool)
                .await?
            });
            for id in ids {
                if !seen(&found, id) {
                    if let Some(r) = self.citizen_record(ctx, CitizenId(id), "search").await? {
                        found.push(r);
                    }
                }
            }
        }
        Ok(found)
    }

    /// Which citizen a case belongs to: `None` when there is no such case,
    /// `Some(None)` for a case without a citizen. Holds no personal data, so
    /// it is not audited; it lets the console decide who may open a case.
    pub async fn case_citizen(&self, case_ref: &CaseRef) -> Result<Option<Option<CitizenId>>> {
        let row: Option<(Option<i64>,)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT citizen_id FROM cases WHERE case_ref = $1")
                .bind(case_ref.digits())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(citizen,)| citizen.map(CitizenId)))
    }

    /// The departments a case is with (its department), for least access.
    pub async fn case_department(&self, case_ref: &CaseRef) -> Result<Option<String>> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT department FROM cases WHERE case_ref = $1",
            )
            .bind(case_ref.digits())
            .fetch_optional(pool)
            .await?
        })
        .flatten())
    }

    /// Where a citizen's business is: the departments of their cases and
    /// the queues their calls waited in. A supervisor of one of these reads
    /// the record as their own department's; anyone else needs a reason.
    pub async fn citizen_departments(&self, id: CitizenId) -> Result<Vec<String>> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT department FROM cases WHERE citizen_id = $1 AND department IS NOT NULL \
                 UNION SELECT queue FROM calls WHERE queue IS NOT NULL AND caller IN \
                 (SELECT number FROM citizen_phones WHERE citizen_id = $1)",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        }))
    }
}

/// Makes `%`, `_` and `\` match themselves in a LIKE pattern.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewCitizen;
    use hotline_types::Timestamp;

    fn search_ctx(store: &Store, terms: &str) -> AuditContext {
        AuditContext {
            actor: "agent1".into(),
            access: Access::Search(store.search_terms(terms)),
            reason: "caller gave their name".into(),
            at: Timestamp(1_795_334_400_000),
        }
    }

    #[test]
    fn like_wildcards_match_themselves() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[tokio::test]
    async fn finds_by_name_phone_and_id_and_audits_the_search() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url, *b"0123456789abcdef-search")
            .await
            .unwrap();
        let ctx = search_ctx(&store, "setup");
        let wang = store
            .create_citizen(
                &ctx,
                &NewCitizen {
                    full_name: "Wang Fang".into(),
                    national_id: Some("110105199001011234".into()),
                    phones: vec!["+8613900000001".into()],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        store
            .create_citizen(
                &ctx,
                &NewCitizen {
                    full_name: "Li 50% Lei".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();

        let by_name = store
            .search_citizens(&search_ctx(&store, "fang"), "fang", 10)
            .await
            .unwrap();
        assert_eq!(by_name.len(), 1);
        assert_eq!(by_name[0].citizen.id, wang);
        let by_phone = store
            .search_citizens(&search_ctx(&store, "phone"), "+86 139 0000 0001", 10)
            .await
            .unwrap();
        assert_eq!(by_phone[0].citizen.id, wang);
        let by_id = store
            .search_citizens(&search_ctx(&store, "id"), "110105199001011234", 10)
            .await
            .unwrap();
        assert_eq!(by_id.len(), 1);
        assert_eq!(by_id[0].citizen.id, wang);
        let percent = store
            .search_citizens(&search_ctx(&store, "%"), "0%", 10)
            .await
            .unwrap();
        assert_eq!(percent.len(), 1, "a % in the query is not a wildcard");
        assert!(store
            .search_citizens(&search_ctx(&store, "nobody"), "zz", 10)
            .await
            .unwrap()
            .is_empty());

        let not_a_search = AuditContext::for_call("agent1", hotline_types::CallId::new(), ctx.at);
        assert!(store
            .search_citizens(&not_a_search, "fang", 10)
            .await
            .is_err());

        let admin = AuditContext {
            access: Access::Administration,
            ..search_ctx(&store, "x")
        };
        let trail = store.audit_trail(&admin, wang).await.unwrap();
        let searches = trail
            .iter()
            .filter(|e| e.action == "search" && e.via_search.is_some())
            .count();
        assert_eq!(searches, 3, "one entry per search that returned Wang");
        for entry in trail.iter().filter_map(|e| e.via_search.as_deref()) {
            assert!(
                !entry.contains("13900000001") && !entry.contains("110105199001011234"),
                "the audit log keeps no search term in clear: {entry}"
            );
        }
        let by_id_entry = store.search_terms("1101 0519 9001 011234");
        assert!(by_id_entry.as_str().starts_with("**************1234 #"));
        assert_eq!(
            store.search_terms("+86 139 0000 0001").as_str(),
            store.search_terms("+8613900000001").as_str(),
            "the same number typed two ways is one hash"
        );
        assert!(store
            .search_terms("+8613900000001")
            .as_str()
            .starts_with("+86*******0001 #"));
        assert!(store.search_terms("Fang").as_str().starts_with("f*** #"));
    }
}
