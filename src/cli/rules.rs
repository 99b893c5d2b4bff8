//! `bianca rules list` / `bianca rules show NAME`.

use anyhow::Result;
use bianca_engine::rules;

#[derive(clap::Subcommand)]
pub enum RulesCommand {
    /// List the built-in rule sets.
    List,
    /// Print a rule set: a built-in name or a TOML file.
    Show { name: String },
}

pub fn run(cmd: &RulesCommand) -> Result<()> {
    match cmd {
        RulesCommand::List => {
            let all = rules::presets()?;
            let w = all
                .iter()
                .map(|r| r.title.chars().count())
                .max()
                .unwrap_or(0);
            for r in &all {
                println!(
                    "{:<16} v{:<3} {:<w$}  classes: {}",
                    r.name,
                    r.version,
                    r.title,
                    r.class_names().join(" / ")
                );
            }
        }
        RulesCommand::Show { name } => match rules::preset_text(name) {
            Some(text) => print!("{text}"),
            None => {
                let r = rules::load(name)?;
                let text = std::fs::read_to_string(name)?;
                eprintln!("{} v{}: {}", r.name, r.version, r.title);
                print!("{text}");
            }
        },
    }
    Ok(())
}
