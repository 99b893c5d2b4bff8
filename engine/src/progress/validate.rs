//! The checks of an upload that need more than one row: the same work twice for one date,
//! a status that moves backwards without a note (within the file, or against what is
//! stored), and rows of another operator than the uploader's.
//!
//! BUL open data has no note column: its steps back are warnings, reported but accepted
//! (the portal's figures are what they are); in the other formats they are errors.

use super::history::History;
use super::{Format, Item, Problem};
use std::collections::HashMap;

/// What [`validate`] found.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

fn status_field(format: Format, item: &Item) -> &'static str {
    match (format, item.technology.as_str()) {
        (Format::Bul, "FTTH") => "fiber_work_status",
        (Format::Bul, "FWA") => "wireless_work_status",
        (Format::Bul, _) => "pcn_work_status",
        _ => "status",
    }
}

/// Checks `items` (one file's, in file order) against each other, against the stored
/// `history`, and against the uploader's operator (`None`: an admin or the command line,
/// who may upload any operator's rows).
pub fn validate(
    format: Format,
    items: &[Item],
    history: &History,
    uploader: Option<&str>,
) -> Checked {
    let mut out = Checked::default();
    if let Some(op) = uploader {
        for it in items {
            if !it.operator.eq_ignore_ascii_case(op) {
                let (row, field) = match format {
                    Format::Bul => (0, "format"),
                    _ => (it.row, "operator_id"),
                };
                out.problems.push(Problem::new(
                    row,
                    field,
                    &it.operator,
                    format!("the uploader acts for operator {op:?} and may upload only its rows"),
                ));
                if format == Format::Bul {
                    break;
                }
            }
        }
    }
    let mut by_key: HashMap<&str, Vec<&Item>> = HashMap::new();
    for it in items {
        by_key.entry(it.key.as_str()).or_default().push(it);
    }
    let mut keys: Vec<&str> = by_key.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let mut versions = by_key.remove(key).unwrap_or_default();
        versions.sort_by_key(|it| (it.status_date, it.row));
        // the state before each row, and where it was reported
        let mut previous: Option<(&Item, String)> = versions.first().and_then(|first| {
            history.before(key, first.status_date).map(|v| {
                (
                    &v.item,
                    format!("on {} (upload {})", v.item.status_date, v.upload),
                )
            })
        });
        let mut last_in_file: Option<&Item> = None;
        for it in versions {
            if let Some(last) = last_in_file {
                if last.status_date == it.status_date {
                    out.problems.push(Problem::new(
                        it.row,
                        status_field(format, it),
                        &it.status_text,
                        format!(
                            "the same work twice for {} (rows {} and {})",
                            it.status_date, last.row, it.row
                        ),
                    ));
                    continue;
                }
            }
            if let Some((p, where_)) = &previous {
                if p.status.is_backwards(it.status) && it.note.is_none() {
                    let problem = Problem::new(
                        it.row,
                        status_field(format, it),
                        &it.status_text,
                        format!(
                            "the status moves back from {} (reported {where_}) to {} without a note",
                            p.status, it.status
                        ),
                    );
                    if format == Format::Bul {
                        out.warnings.push(problem);
                    } else {
                        out.problems.push(problem);
                    }
                }
            }
            previous = Some((it, format!("on {} (row {})", it.status_date, it.row)));
            last_in_file = Some(it);
        }
    }
    out.problems.sort_by_key(|p| p.row);
    out.warnings.sort_by_key(|p| p.row);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::history::tests::item;
    use crate::progress::history::Version;
    use crate::progress::Status;

    #[test]
    fn a_step_back_needs_a_note_in_the_file_and_against_the_store() {
        let stored = History::new(vec![Version {
            upload: 1,
            item: item("a", Status::InWorks, "2025-01-01", 1),
        }]);
        let mut back = item("a", Status::DesignExec, "2025-02-01", 1);
        back.row = 5;
        let c = validate(Format::Civico, std::slice::from_ref(&back), &stored, None);
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        assert_eq!(
            (c.problems[0].row, c.problems[0].field.as_str()),
            (5, "status")
        );
        assert!(
            c.problems[0].message.contains("upload 1"),
            "{}",
            c.problems[0]
        );
        back.note = Some("permits withdrawn".into());
        assert!(validate(Format::Civico, &[back.clone()], &stored, None)
            .problems
            .is_empty());
        // within one file
        let mut a = item("b", Status::Testing, "2025-01-01", 1);
        let mut b = item("b", Status::InWorks, "2025-02-01", 1);
        a.row = 2;
        b.row = 3;
        let c = validate(Format::Civico, &[b, a], &History::default(), None);
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].row, 3);
        // BUL: a warning only
        let c = validate(Format::Bul, &[back_without_note()], &stored, None);
        assert!(c.problems.is_empty());
        assert_eq!(c.warnings.len(), 1);
    }

    fn back_without_note() -> Item {
        item("a", Status::Planned, "2025-02-01", 1)
    }

    #[test]
    fn duplicates_and_other_operators_are_refused() {
        let a = item("a", Status::Planned, "2025-01-01", 1);
        let mut b = a.clone();
        b.row = 3;
        let c = validate(Format::Civico, &[a.clone(), b], &History::default(), None);
        assert_eq!(c.problems.len(), 1);
        assert!(c.problems[0].message.contains("twice"));
        let c = validate(Format::Civico, &[a], &History::default(), Some("OtherNet"));
        assert_eq!(c.problems[0].field, "operator_id");
        let c = validate(
            Format::Civico,
            &[item("x", Status::Planned, "2025-01-01", 1)],
            &History::default(),
            Some("opnet"),
        );
        assert!(c.problems.is_empty(), "operators compare without case");
    }
}
