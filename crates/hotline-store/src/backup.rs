//! Backing the store up and moving it: a consistent copy of an SQLite
//! store while it is being written, and re-pointing the files a restored
//! store names (recordings, voice messages) at the data directory they
//! were restored into. PostgreSQL is backed up with its own tools
//! (`pg_dump`), as the README says.

use std::path::Path;

use crate::db::{with_pool, Pool};
use crate::error::{Result, StoreError};
use crate::Store;

impl Store {
    /// Writes a consistent copy of the SQLite database to `target` (which
    /// must not exist) with `VACUUM INTO`: one read transaction, so the copy
    /// is the store as of one instant, taken while calls go on being
    /// written (WAL readers do not block writers). PostgreSQL answers
    /// [`StoreError::InvalidValue`]: use `pg_dump`.
    pub async fn backup_into(&self, target: &Path) -> Result<()> {
        let Pool::Sqlite(pool) = self.pool() else {
            return Err(StoreError::InvalidValue {
                field: "backend",
                reason: "a PostgreSQL store is backed up with pg_dump (README, \"Back it up\")"
                    .into(),
            });
        };
        let target = target.to_str().ok_or_else(|| StoreError::InvalidValue {
            field: "backup path",
            reason: "it is not UTF-8".into(),
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Points the calls' recordings and voice messages that lie under
    /// `from` (the data directory they were recorded in) at the same files
    /// under `to` (where a restore put them). Answers how many paths moved.
    /// The call events keep the paths as they were recorded: history.
    pub async fn relocate_files(&self, from: &str, to: &str) -> Result<u64> {
        if from == to {
            return Ok(0);
        }
        let mut moved = 0;
        for column in ["recording", "voicemail_recording"] {
            let sql = format!(
                "UPDATE calls SET {column} = $2 || substr({column}, length($1) + 1) \
                 WHERE substr({column}, 1, length($1)) = $1"
            );
            moved += with_pool!(self, |pool| {
                sqlx::query(&sql)
                    .bind(from)
                    .bind(to)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
        }
        Ok(moved)
    }
}
