//! The server's copy of the deployment progress: the whole history in memory, reloaded
//! when an upload is accepted (here, or by another process: the store watcher sees the new
//! upload id), and the white units of the served snapshot for the report's join.

use crate::store::{Store, StoreError};
use bianca_engine::progress::report::WhiteUnits;
use bianca_engine::progress::History;
use std::sync::{Arc, Mutex, RwLock};

/// The history as of one upload.
pub struct ProgressState {
    pub history: History,
    /// The last upload's id (0: none).
    pub generation: i64,
}

/// The current [`ProgressState`], swapped whole on reload, and a cache of white units.
pub struct ProgressCell {
    state: RwLock<Arc<ProgressState>>,
    /// (snapshot generation, rule set) -> white units.
    white: Mutex<Option<(u64, usize, Arc<WhiteUnits>)>>,
}

impl ProgressCell {
    pub fn load(store: &mut Store) -> Result<ProgressCell, StoreError> {
        let generation = store.progress_generation()?;
        let history = store.progress_history()?;
        Ok(ProgressCell {
            state: RwLock::new(Arc::new(ProgressState {
                history,
                generation,
            })),
            white: Mutex::new(None),
        })
    }

    pub fn get(&self) -> Arc<ProgressState> {
        match self.state.read() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Reloads the history when the store has a newer upload; true when it did.
    pub fn refresh(&self, store: &Mutex<Store>) -> Result<bool, StoreError> {
        let poisoned = || StoreError::Invalid("the store's lock is poisoned".into());
        let generation = store
            .lock()
            .map_err(|_| poisoned())?
            .progress_generation()?;
        if generation == self.get().generation {
            return Ok(false);
        }
        let history = store.lock().map_err(|_| poisoned())?.progress_history()?;
        tracing::info!(
            upload = generation,
            items = history.len(),
            "progress reloaded"
        );
        let s = Arc::new(ProgressState {
            history,
            generation,
        });
        match self.state.write() {
            Ok(mut w) => *w = s,
            Err(p) => *p.into_inner() = s,
        }
        Ok(true)
    }

    /// The white units of the served snapshot under rule set `rule`.
    pub fn white(&self, current: &super::Current, rule: usize) -> Arc<WhiteUnits> {
        let mut slot = match self.white.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        if let Some((g, r, w)) = slot.as_ref() {
            if *g == current.generation && *r == rule {
                return w.clone();
            }
        }
        let served = &current.served;
        let w = Arc::new(WhiteUnits::from_classification(
            &served.units,
            &served.cls.rules[rule],
        ));
        *slot = Some((current.generation, rule, w.clone()));
        w
    }
}
