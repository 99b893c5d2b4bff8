//! Every version of every piece of work, from every accepted upload: nothing is ever
//! overwritten, so the state on any date can be rebuilt.

use super::Item;
use chrono::NaiveDate;

/// One item as an upload reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// The upload that reported it (uploads are numbered in the order they were accepted).
    pub upload: i64,
    pub item: Item,
}

/// All versions, sorted by key, then status date, then upload.
#[derive(Debug, Clone, Default)]
pub struct History {
    versions: Vec<Version>,
}

impl History {
    pub fn new(mut versions: Vec<Version>) -> History {
        versions.sort_by(|a, b| {
            (&a.item.key, a.item.status_date, a.upload).cmp(&(
                &b.item.key,
                b.item.status_date,
                b.upload,
            ))
        });
        History { versions }
    }

    pub fn len(&self) -> usize {
        self.versions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    /// The versions of each key, in date order.
    pub fn by_key(&self) -> impl Iterator<Item = &[Version]> {
        self.versions.chunk_by(|a, b| a.item.key == b.item.key)
    }

    /// The state on `date`: per key, the version with the latest status date on or before
    /// it (of two on the same date, the later upload's). Keys first reported after `date`
    /// are absent.
    pub fn as_of(&self, date: NaiveDate) -> impl Iterator<Item = &Version> {
        self.by_key()
            .filter_map(move |versions| latest_on(versions, date))
    }

    /// The latest version of `key` on or before `date`.
    pub fn before(&self, key: &str, date: NaiveDate) -> Option<&Version> {
        let start = self.versions.partition_point(|v| v.item.key.as_str() < key);
        let end = start + self.versions[start..].partition_point(|v| v.item.key == key);
        latest_on(&self.versions[start..end], date)
    }

    /// The earliest and latest status dates.
    pub fn span(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = self.versions.iter().map(|v| v.item.status_date).min()?;
        let last = self.versions.iter().map(|v| v.item.status_date).max()?;
        Some((first, last))
    }
}

/// The last of one key's date-sorted versions on or before `date`.
pub fn latest_on(versions: &[Version], date: NaiveDate) -> Option<&Version> {
    let n = versions.partition_point(|v| v.item.status_date <= date);
    n.checked_sub(1).map(|i| &versions[i])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::progress::{ItemKind, Plan, Status};

    pub(crate) fn item(key: &str, status: Status, date: &str, units: i64) -> Item {
        Item {
            kind: ItemKind::Civico,
            key: key.to_string(),
            operator: "OpNet".into(),
            plan: Plan::Pi1g,
            lot: None,
            comune: "048017".into(),
            source_comune: "048017".into(),
            technology: "FTTH".into(),
            status,
            status_text: status.as_str().into(),
            status_date: date.parse().unwrap(),
            units,
            planned_start: None,
            planned_ready: None,
            ready_date: None,
            sellable_date: None,
            max_down: None,
            max_up: None,
            note: None,
            ref_id: Some(key.to_string()),
            street: None,
            number: None,
            name: None,
            lon: None,
            lat: None,
            extra: None,
            row: 2,
        }
    }

    #[test]
    fn the_state_as_of_a_date_is_the_latest_version_on_or_before_it() {
        let h = History::new(vec![
            Version {
                upload: 2,
                item: item("a", Status::InWorks, "2025-03-01", 1),
            },
            Version {
                upload: 1,
                item: item("a", Status::Planned, "2025-01-01", 1),
            },
            Version {
                upload: 3,
                item: item("a", Status::Completed, "2025-03-01", 1),
            },
            Version {
                upload: 1,
                item: item("b", Status::Planned, "2025-02-01", 2),
            },
        ]);
        let at = |d: &str| -> Vec<(String, Status)> {
            h.as_of(d.parse().unwrap())
                .map(|v| (v.item.key.clone(), v.item.status))
                .collect()
        };
        assert_eq!(at("2024-12-31"), []);
        assert_eq!(at("2025-01-31"), [("a".into(), Status::Planned)]);
        assert_eq!(
            at("2025-02-01"),
            [("a".into(), Status::Planned), ("b".into(), Status::Planned)]
        );
        // same date: the later upload wins
        assert_eq!(at("2025-03-01")[0], ("a".into(), Status::Completed));
        assert_eq!(
            h.before("a", "2025-02-15".parse().unwrap()).unwrap().upload,
            1
        );
        assert!(h.before("zzz", "2030-01-01".parse().unwrap()).is_none());
    }
}
