//! The input row of every unit read, for messages that name a row: kept as runs of
//! consecutive rows, so a registry without rejected rows costs a few bytes instead of
//! eight per unit.

/// Row numbers of units `0..len`: run k starts at unit `runs[k].0` with row `runs[k].1`
/// and numbers the following units consecutively up to the next run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowMap {
    runs: Vec<(usize, u64)>,
    len: usize,
}

impl RowMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Units mapped.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Maps the next unit to `row`.
    #[inline]
    pub fn push(&mut self, row: u64) {
        let follows = self
            .runs
            .last()
            .is_some_and(|&(s, r)| r + (self.len - s) as u64 == row);
        if !follows {
            self.runs.push((self.len, row));
        }
        self.len += 1;
    }

    /// The row of unit `i`.
    ///
    /// # Panics
    /// When `i >= len()`.
    pub fn get(&self, i: usize) -> u64 {
        assert!(i < self.len, "row of unit {i} of {}", self.len);
        let k = self.runs.partition_point(|&(s, _)| s <= i) - 1;
        let (s, r) = self.runs[k];
        r + (i - s) as u64
    }

    /// The rows of every unit, in order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.runs.iter().enumerate().flat_map(move |(k, &(s, r))| {
            let end = self.runs.get(k + 1).map_or(self.len, |n| n.0);
            (0..(end - s) as u64).map(move |d| r + d)
        })
    }

    /// Appends the units of `other` after these.
    pub fn extend(&mut self, other: &RowMap) {
        for (k, &(s, r)) in other.runs.iter().enumerate() {
            let end = other.runs.get(k + 1).map_or(other.len, |n| n.0);
            self.push(r);
            let rest = end - s - 1;
            if rest > 0 {
                // the run's remaining units follow the pushed one by construction
                self.len += rest;
            }
        }
    }

    /// Keeps the units whose `keep` is true (`keep.len() == len()`).
    pub fn retain(&mut self, keep: &[bool]) {
        let mut out = RowMap::new();
        for (row, &k) in self.iter().zip(keep) {
            if k {
                out.push(row);
            }
        }
        *self = out;
    }
}

#[cfg(test)]
mod tests {
    use super::RowMap;

    fn of(rows: &[u64]) -> RowMap {
        let mut m = RowMap::new();
        rows.iter().for_each(|&r| m.push(r));
        m
    }

    #[test]
    fn consecutive_rows_are_one_run_and_gaps_start_new_ones() {
        let rows = [1, 2, 3, 7, 8, 20, 4];
        let m = of(&rows);
        assert_eq!(m.runs.len(), 4);
        assert_eq!(m.len(), rows.len());
        for (i, &r) in rows.iter().enumerate() {
            assert_eq!(m.get(i), r);
        }
        assert_eq!(m.iter().collect::<Vec<_>>(), rows);
        assert_eq!(of(&(5..1005).collect::<Vec<_>>()).runs.len(), 1);
    }

    #[test]
    fn extend_and_retain_keep_every_row() {
        let (a, b) = ([1u64, 2, 3, 5], [6u64, 7, 10, 11]);
        let mut m = of(&a);
        m.extend(&of(&b));
        let all: Vec<u64> = a.iter().chain(&b).copied().collect();
        assert_eq!(m, of(&all));
        let keep = [true, false, true, true, true, false, true, true];
        m.retain(&keep);
        let kept: Vec<u64> = all.iter().zip(keep).filter(|x| x.1).map(|x| *x.0).collect();
        assert_eq!(m, of(&kept));
        assert_eq!(m.iter().collect::<Vec<_>>(), kept);
        let mut e = RowMap::new();
        e.extend(&RowMap::new());
        assert!(e.is_empty() && e.iter().next().is_none());
    }

    #[test]
    #[should_panic(expected = "row of unit 3 of 3")]
    fn a_unit_past_the_end_panics() {
        of(&[1, 2, 3]).get(3);
    }
}
