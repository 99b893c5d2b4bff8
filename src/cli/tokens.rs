//! `bianca tokens create|list|revoke`: API tokens for `bianca serve`.

use anyhow::Result;
use bianca_api::store::Role;

#[derive(clap::Subcommand, Debug)]
pub enum TokensCommand {
    /// Create a token and print it (once: only its hash is stored).
    Create {
        /// admin, planner or uploader.
        #[arg(long, value_name = "ROLE")]
        role: Role,
        /// The operator an uploader token acts for.
        #[arg(long, value_name = "OPERATOR")]
        operator: Option<String>,
        /// A note saying whose token this is.
        #[arg(long, value_name = "TEXT", default_value = "")]
        label: String,
    },
    /// Every token (without secrets).
    List,
    /// Revoke a token by id: it is refused from then on.
    Revoke {
        /// The token's id (`tokens list`).
        id: i64,
    },
}

pub fn run(c: &TokensCommand, database_url: Option<&str>) -> Result<()> {
    match c {
        TokensCommand::Create {
            role,
            operator,
            label,
        } => {
            let mut store = super::store::open_existing(database_url)?;
            let t = store.create_token(*role, operator.as_deref(), label)?;
            eprintln!(
                "bianca tokens: token {} created for role {}{}; it is shown only this once:",
                t.info.id,
                t.info.role,
                t.info
                    .operator
                    .as_deref()
                    .map(|o| format!(" (operator {o})"))
                    .unwrap_or_default()
            );
            println!("{}", t.token);
        }
        TokensCommand::List => {
            let mut store = super::store::open_existing(database_url)?;
            let all = store.tokens()?;
            if all.is_empty() {
                eprintln!("no tokens: `bianca tokens create --role ROLE`");
                return Ok(());
            }
            println!(
                "{:>5}  {:<9} {:<16} {:<17} {:<17} label",
                "id", "role", "operator", "created (UTC)", "revoked (UTC)"
            );
            for t in all {
                println!(
                    "{:>5}  {:<9} {:<16} {:<17} {:<17} {}",
                    t.id,
                    t.role.as_str(),
                    t.operator.as_deref().unwrap_or("-"),
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    t.revoked_at
                        .map_or("-".to_string(), |r| r.format("%Y-%m-%d %H:%M").to_string()),
                    t.label
                );
            }
        }
        TokensCommand::Revoke { id } => {
            let mut store = super::store::open_existing(database_url)?;
            let t = store.revoke_token(*id)?;
            eprintln!("bianca tokens: token {} ({}) revoked", t.id, t.role);
        }
    }
    Ok(())
}
