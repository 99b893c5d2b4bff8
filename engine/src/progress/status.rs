//! The status of a piece of work, from planned to sellable, and how the Italian terms of
//! the BUL portal and the operators' reports map onto it.
//!
//! | status         | Italian terms (BUL portal, Infratel, operators)                  |
//! |----------------|------------------------------------------------------------------|
//! | `planned`      | in programmazione, pianificato, programmato                      |
//! | `design_final` | in progettazione definitiva, progettazione definitiva            |
//! | `design_exec`  | in progettazione esecutiva, progettazione esecutiva              |
//! | `permits`      | in autorizzazione, in attesa di permessi, permessi               |
//! | `in_works`     | in esecuzione, in costruzione, lavori in corso                   |
//! | `works_closed` | lavori chiusi, lavori terminati                                  |
//! | `testing`      | in collaudo                                                      |
//! | `completed`    | terminato, collaudo terminato, collaudato, completato, realizzato|
//! | `sellable`     | vendibile, commercializzabile, attivabile, in vendita            |
//! | `excluded`     | escluso, stralciato, non realizzabile                            |
//!
//! The order is the order of the work: definitive design (*progettazione definitiva*)
//! comes before executive design (*esecutiva*); testing (*collaudo*) comes before
//! completion, as in the BUL portal, where *terminato* follows *in collaudo*. `excluded`
//! is outside the order: entering it is never a step back, leaving it always is.

use serde::Serialize;
use std::fmt;

/// One step of the deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Planned,
    DesignFinal,
    DesignExec,
    Permits,
    InWorks,
    WorksClosed,
    Testing,
    Completed,
    Sellable,
    Excluded,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Planned,
        Status::DesignFinal,
        Status::DesignExec,
        Status::Permits,
        Status::InWorks,
        Status::WorksClosed,
        Status::Testing,
        Status::Completed,
        Status::Sellable,
        Status::Excluded,
    ];

    /// The spelling in files, the API and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::DesignFinal => "design_final",
            Status::DesignExec => "design_exec",
            Status::Permits => "permits",
            Status::InWorks => "in_works",
            Status::WorksClosed => "works_closed",
            Status::Testing => "testing",
            Status::Completed => "completed",
            Status::Sellable => "sellable",
            Status::Excluded => "excluded",
        }
    }

    /// The position in [`Status::ALL`] (for per-status arrays).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The built network is finished (completed or sellable).
    pub fn is_done(self) -> bool {
        matches!(self, Status::Completed | Status::Sellable)
    }

    /// Works have started but are not finished (in works, works closed, testing).
    pub fn is_in_works(self) -> bool {
        matches!(
            self,
            Status::InWorks | Status::WorksClosed | Status::Testing
        )
    }

    /// Not started yet (planned, in design, waiting for permits).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::Planned | Status::DesignFinal | Status::DesignExec | Status::Permits
        )
    }

    /// Whether going from `self` to `next` is a step back: a lower step of the work, or
    /// leaving `excluded`. Staying is not a step back.
    pub fn is_backwards(self, next: Status) -> bool {
        match (self, next) {
            (_, Status::Excluded) => false,
            (Status::Excluded, _) => true,
            (a, b) => b < a,
        }
    }

    /// Reads a status: bianca's own spelling (case-insensitive) or an Italian term of the
    /// table above (case, accents and extra spaces ignored). `None` for anything else.
    pub fn parse(text: &str) -> Option<Status> {
        let t = normalise(text);
        if let Some(s) = Status::ALL.into_iter().find(|s| s.as_str() == t) {
            return Some(s);
        }
        let s = match t.as_str() {
            "in programmazione" | "programmazione" | "pianificato" | "programmato" => {
                Status::Planned
            }
            "in progettazione definitiva" | "progettazione definitiva" => Status::DesignFinal,
            "in progettazione esecutiva" | "progettazione esecutiva" => Status::DesignExec,
            "in autorizzazione" | "in attesa di permessi" | "permessi" => Status::Permits,
            "in esecuzione" | "in costruzione" | "lavori in corso" => Status::InWorks,
            "lavori chiusi" | "lavori terminati" => Status::WorksClosed,
            "in collaudo" => Status::Testing,
            "terminato" | "collaudo terminato" | "collaudato" | "completato" | "realizzato" => {
                Status::Completed
            }
            "vendibile" | "commercializzabile" | "attivabile" | "in vendita" => Status::Sellable,
            "escluso" | "stralciato" | "non realizzabile" => Status::Excluded,
            _ => return None,
        };
        Some(s)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lower case, accents dropped, runs of spaces, `-` and `_` made one space... except that
/// bianca's own names keep their `_`.
fn normalise(text: &str) -> String {
    let lower = text.trim().to_lowercase();
    if Status::ALL.iter().any(|s| s.as_str() == lower) {
        return lower;
    }
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        let c = match c {
            'à' | 'á' => 'a',
            'è' | 'é' => 'e',
            'ì' | 'í' => 'i',
            'ò' | 'ó' => 'o',
            'ù' | 'ú' => 'u',
            '-' | '_' | '\t' => ' ',
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn every_bul_term_maps_to_a_status() {
        for (term, status) in [
            ("in programmazione", Status::Planned),
            ("in progettazione definitiva", Status::DesignFinal),
            ("In Progettazione  Esecutiva", Status::DesignExec),
            ("in esecuzione", Status::InWorks),
            ("lavori chiusi", Status::WorksClosed),
            ("in collaudo", Status::Testing),
            ("terminato", Status::Completed),
            ("collaudo terminato", Status::Completed),
            ("sellable", Status::Sellable),
            ("WORKS_CLOSED", Status::WorksClosed),
        ] {
            assert_eq!(Status::parse(term), Some(status), "{term}");
        }
        assert_eq!(Status::parse("quasi finito"), None);
        assert_eq!(Status::parse(""), None);
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn steps_back_and_exclusion() {
        assert!(Status::InWorks.is_backwards(Status::DesignExec));
        assert!(!Status::DesignExec.is_backwards(Status::InWorks));
        assert!(!Status::InWorks.is_backwards(Status::InWorks));
        assert!(!Status::Sellable.is_backwards(Status::Excluded));
        assert!(Status::Excluded.is_backwards(Status::Planned));
        assert!(Status::Testing < Status::Completed);
    }
}
