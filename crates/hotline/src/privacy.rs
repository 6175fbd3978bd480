//! `hotline privacy …`: citizens' data-protection requests from the command
//! line, on the store and data folder the configuration names (the hotline
//! may be running). The same store operations as the privacy officer's page:
//! find, show (with who saw the record), export (a tar archive), rectify,
//! restrict, erase, receipts. Each is done under the request's reference
//! and by a named officer (`--by`, default the system user), and prints its
//! receipt as JSON.
//!
//! A running `serve` forgets what it holds in memory about an erased
//! citizen within a few seconds (it watches the store's erasures).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use hotline_store::{Access, AuditContext, DataFiles, Rectification, Store};
use hotline_types::{CitizenId, Timestamp};

use crate::config::Config;

/// What `hotline privacy` does.
#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Find the citizens a request may be about (audited as a search).
    Find {
        /// A phone number, a national ID, or part of a name.
        query: String,
        #[command(flatten)]
        request: RequestArgs,
    },
    /// A citizen's record, who saw or changed it, and earlier requests.
    Show {
        citizen: i64,
        #[command(flatten)]
        request: RequestArgs,
    },
    /// Access: everything held about the citizen as one tar archive.
    Export {
        citizen: i64,
        /// Where to write the archive (a new file).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        request: RequestArgs,
    },
    /// Rectification: correct fields (the old values stay only in the audit).
    Rectify {
        citizen: i64,
        #[arg(long)]
        name: Option<String>,
        /// An empty value removes it.
        #[arg(long)]
        national_id: Option<String>,
        #[arg(long)]
        language: Option<String>,
        /// The full new list of numbers (repeat the flag).
        #[arg(long = "phone")]
        phones: Vec<String>,
        #[command(flatten)]
        request: RequestArgs,
    },
    /// Restriction: no follow-up calls, no analytics (`--lift` lifts it).
    Restrict {
        citizen: i64,
        #[arg(long)]
        lift: bool,
        #[command(flatten)]
        request: RequestArgs,
    },
    /// Erasure: the record, their calls' numbers and recordings (the files
    /// too), their cases' texts; work orders anonymised, not deleted.
    Erase {
        citizen: i64,
        #[command(flatten)]
        request: RequestArgs,
    },
    /// The receipts of the requests, newest first.
    Receipts {
        /// One citizen's only.
        #[arg(long)]
        citizen: Option<i64>,
    },
}

/// The request an operation is done under, and by whom.
#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    /// The citizen's request as the office files it (letters, digits, -_./).
    #[arg(long)]
    request: String,
    /// The privacy officer carrying it out (default: the system user).
    #[arg(long)]
    by: Option<String>,
}

impl RequestArgs {
    fn context(&self) -> anyhow::Result<AuditContext> {
        hotline_store::check_request_ref(&self.request)?;
        let by = self
            .by
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| "operator".into());
        Ok(AuditContext {
            actor: by,
            access: Access::Administration,
            reason: format!("data-protection request {}", self.request),
            at: Timestamp::from_system_time(std::time::SystemTime::now()),
        })
    }
}

fn pretty(value: &impl serde::Serialize) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(value)?)
}

/// Carries out a `hotline privacy` command.
pub async fn run(store: &Store, config: &Config, command: PrivacyCommand) -> anyhow::Result<()> {
    let files = DataFiles::in_data_dir(&config.database.data_dir);
    match command {
        PrivacyCommand::Find { query, request } => {
            let mut ctx = request.context()?;
            ctx.access = Access::Search(store.search_terms(&query));
            let found = store.search_citizens(&ctx, &query, 20).await?;
            outln!("{}", pretty(&found)?);
        }
        PrivacyCommand::Show { citizen, request } => {
            let ctx = request.context()?;
            let id = CitizenId(citizen);
            let record = store
                .citizen(&ctx, id)
                .await?
                .with_context(|| format!("no citizen {citizen} (or erased)"))?;
            let access_log = store.audit_trail(&ctx, id).await?;
            let requests = store.privacy_requests(Some(id), 200).await?;
            outln!(
                "{}",
                pretty(&serde_json::json!({
                    "record": record,
                    "access_log": access_log,
                    "requests": requests,
                }))?
            );
        }
        PrivacyCommand::Export {
            citizen,
            out,
            request,
        } => {
            let ctx = request.context()?;
            let (bytes, receipt) = store
                .export_archive(&ctx, CitizenId(citizen), &request.request, &files)
                .await?;
            // A new file only, readable by its owner: it is the citizen's data.
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            std::io::Write::write_all(&mut file, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            outln!("{}", pretty(&receipt)?);
        }
        PrivacyCommand::Rectify {
            citizen,
            name,
            national_id,
            language,
            phones,
            request,
        } => {
            let ctx = request.context()?;
            let change = Rectification {
                full_name: name,
                national_id,
                preferred_language: language,
                phones: (!phones.is_empty()).then_some(phones),
            };
            let receipt = store
                .rectify_citizen(&ctx, CitizenId(citizen), &request.request, &change)
                .await?;
            outln!("{}", pretty(&receipt)?);
        }
        PrivacyCommand::Restrict {
            citizen,
            lift,
            request,
        } => {
            let ctx = request.context()?;
            let receipt = store
                .restrict_citizen(&ctx, CitizenId(citizen), &request.request, !lift)
                .await?;
            outln!("{}", pretty(&receipt)?);
        }
        PrivacyCommand::Erase { citizen, request } => {
            let ctx = request.context()?;
            let receipt = store
                .erase_citizen_everywhere(&ctx, CitizenId(citizen), &request.request, &files)
                .await?;
            outln!("{}", pretty(&receipt)?);
        }
        PrivacyCommand::Receipts { citizen } => {
            let receipts = store.privacy_requests(citizen.map(CitizenId), 1000).await?;
            outln!("{}", pretty(&receipts)?);
        }
    }
    Ok(())
}
