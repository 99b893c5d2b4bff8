//! `bianca serve`: the HTTP server. A snapshot is loaded from the store into memory
//! ([`snapshot::Served`]) and served as vector tiles (`/tiles`) and JSON (`/api/v1`), with an
//! OpenAPI document generated from the handlers, Prometheus metrics and token-based access.
//!
//! The server watches the store: when a newer snapshot appears (or the pinned one is
//! gone), or a dataset is published or withdrawn, it picks the change up without a restart;
//! a new snapshot empties the tile cache.

pub mod auth;
pub mod basemap;
pub mod compare;
pub mod error;
pub mod hexagons;
pub mod loaded;
pub mod metrics;
pub mod openapi;
pub mod points;
pub mod progress;
pub mod public_site;
pub mod raster_areas;
pub mod routes;
pub mod search;
pub mod snapshot;
pub mod tiles;

use crate::store::Store;
use auth::Caller;
use axum::body::Bytes;
use error::ServeError;
use metrics::Metrics;
use snapshot::Served;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tiles::LayerName;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: String,
    /// Serve this snapshot instead of the latest.
    pub snapshot: Option<String>,
    /// How often the store is checked for a new snapshot or changed datasets (0: never).
    pub watch: Duration,
    /// Memory for cached tiles, in bytes.
    pub cache_bytes: u64,
    /// Origins allowed by CORS (`*` for any); empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Requests taking longer are answered 503.
    pub timeout: Duration,
    /// Attribution shown by maps (TileJSON `attribution`).
    pub attribution: String,
    /// The public URL of the server, for the tile URLs of TileJSON (default: from the
    /// request's Host header).
    pub public_url: Option<String>,
    /// The largest progress upload accepted over HTTP, in bytes.
    pub upload_limit: usize,
    /// An external MapLibre style whose sources and layers the map draws under bianca's
    /// own (see [`basemap`]); `None` (the default): nothing is fetched from elsewhere.
    pub basemap_style: Option<String>,
    /// Snapshots other than the served one that planners may view, kept loaded at most
    /// (the most recently used; see [`loaded`]).
    pub keep_snapshots: usize,
    /// Mobile white areas (`bianca grid italia-5g --out-polygons`) for the `mobile_white`
    /// tile layer.
    pub mobile_areas: Option<std::path::PathBuf>,
}

/// The attribution of the data the demo and the usual inputs come from.
pub const DEFAULT_ATTRIBUTION: &str =
    "Boundaries: ISTAT / Openpolis geojson-italy (CC BY 4.0) · bianca";

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: "127.0.0.1:8080".into(),
            snapshot: None,
            watch: Duration::from_secs(5),
            cache_bytes: 256 << 20,
            cors_origins: Vec::new(),
            body_limit: 1 << 20,
            timeout: Duration::from_secs(30),
            attribution: DEFAULT_ATTRIBUTION.into(),
            public_url: None,
            upload_limit: 512 << 20,
            basemap_style: None,
            keep_snapshots: 2,
            mobile_areas: None,
        }
    }
}

/// A tile in the cache: which snapshot (its generation: every loaded snapshot, served or
/// viewed, has its own), layer, view and filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    pub generation: u64,
    pub layer: LayerName,
    pub z: u8,
    pub x: u32,
    pub y: u32,
    pub full: bool,
    pub rule: usize,
    pub filter: tiles::coverage::Filter,
    /// The snapshot compared with (units layer).
    pub compare: Option<String>,
}

#[derive(Clone)]
pub struct TileWeight;

impl quick_cache::Weighter<TileKey, Bytes> for TileWeight {
    fn weight(&self, _k: &TileKey, v: &Bytes) -> u64 {
        v.len() as u64 + 128
    }
}

pub type TileCache = quick_cache::sync::Cache<TileKey, Bytes, TileWeight>;

/// The snapshot being served and its generation (bumped at every reload).
pub struct Current {
    pub served: Arc<Served>,
    pub generation: u64,
}

/// Verified tokens by the SHA-256 of the token: the answer and when it was given.
pub type TokenCache = HashMap<[u8; 32], (Option<crate::store::TokenInfo>, Instant)>;

/// Everything the handlers share.
pub struct AppState {
    current: RwLock<Arc<Current>>,
    /// Dataset name -> public, as the store says now.
    public: RwLock<Arc<HashMap<String, bool>>>,
    pub store: Arc<Mutex<Store>>,
    pub cache: TileCache,
    pub metrics: Metrics,
    pub tokens: Mutex<TokenCache>,
    pub opts: ServeOptions,
    next_generation: AtomicU64,
    pub started: Instant,
    /// Tiles rendered at once: one per core. More would not render faster (rendering is
    /// CPU-bound) and would hold one tile's buffers per waiting request.
    pub renders: tokio::sync::Semaphore,
    /// Held while a snapshot loads.
    loading: Mutex<()>,
    /// The last comparison: (generation of the snapshot compared, the comparison). Held
    /// while one loads.
    compared: tokio::sync::Mutex<Option<(u64, Arc<compare::Compared>)>>,
    /// Deployment progress uploads, in memory.
    pub progress: progress::ProgressCell,
    /// Other snapshots that planners view, most recently used first.
    others: Mutex<loaded::Recent<loaded::Slot>>,
    /// The store's URL, for the connections that load snapshots.
    url: String,
    /// The `mobile_white` layer's areas ([`ServeOptions::mobile_areas`]).
    pub mobile_white: Option<Arc<tiles::mobile::MobileWhite>>,
}

impl AppState {
    /// The store's URL, to open a connection of one's own for a long write.
    pub fn store_url(&self) -> &str {
        &self.url
    }

    pub fn current(&self) -> Arc<Current> {
        match self.current.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Whether a dataset is public now.
    pub fn is_public(&self, name: &str) -> bool {
        let m = match self.public.read() {
            Ok(m) => m.clone(),
            Err(p) => p.into_inner().clone(),
        };
        m.get(name).copied().unwrap_or(false)
    }

    /// Whether the caller may see dataset `name`: the full view sees all; others only
    /// public datasets.
    pub fn may_see(&self, caller: &Caller, name: &str) -> bool {
        caller.full_view() || self.is_public(name)
    }

    /// Whether the caller may see single addresses (ids, coordinates, address text): the
    /// full view always; others when the snapshot's registry is public. Aggregates are
    /// always public.
    pub fn may_see_addresses(&self, caller: &Caller, served: &Served) -> bool {
        self.may_see(caller, &served.info.units_dataset)
    }

    fn install(&self, served: Served) {
        let generation = self.next_generation.fetch_add(1, Ordering::SeqCst) + 1;
        // a snapshot viewed before and now served is not kept twice
        if let Ok(mut o) = self.others.lock() {
            o.remove_if(&served.info.name, |_| true);
        }
        let c = Arc::new(Current {
            served: Arc::new(served),
            generation,
        });
        match self.current.write() {
            Ok(mut w) => *w = c,
            Err(p) => *p.into_inner() = c,
        }
        self.cache.clear();
    }

    fn set_public(&self, flags: HashMap<String, bool>) {
        let flags = Arc::new(flags);
        match self.public.write() {
            Ok(mut w) => *w = flags,
            Err(p) => *p.into_inner() = flags,
        }
    }

    /// Snapshot `base` compared with snapshot `name`: loaded from the store on first use
    /// (on its own connection), kept until another comparison is asked for.
    pub async fn compared(
        self: &Arc<Self>,
        base: &Arc<Current>,
        name: &str,
    ) -> Result<Arc<compare::Compared>, crate::store::StoreError> {
        let mut slot = self.compared.lock().await;
        if let Some((g, c)) = slot.as_ref() {
            if *g == base.generation && c.name == name {
                return Ok(c.clone());
            }
        }
        let url = self.url.clone();
        let name = name.to_string();
        let served = base.served.clone();
        let c = tokio::task::spawn_blocking(move || {
            let mut store = Store::open(&url)?;
            compare::Compared::load(&mut store, &served, &name)
        })
        .await
        .map_err(|e| crate::store::StoreError::Invalid(e.to_string()))??;
        let c = Arc::new(c);
        *slot = Some((base.generation, c.clone()));
        Ok(c)
    }

    /// The snapshot a request asks for with `?snapshot=NAME`: the served one when `name` is
    /// absent, empty or the served snapshot's name (for anyone); another stored snapshot
    /// for planners and admins only (401 anonymous, 403 other tokens), loaded on first use
    /// and kept among the recently used ([`loaded`]); 404 when there is no such snapshot.
    pub async fn snapshot_for(
        self: &Arc<Self>,
        caller: &Caller,
        name: Option<&str>,
    ) -> Result<Arc<Current>, error::ApiError> {
        let cur = self.current();
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            None => return Ok(cur),
            Some(n) if n == cur.served.info.name => return Ok(cur),
            Some(n) => n.to_string(),
        };
        caller.require_full_view()?;
        let slot: loaded::Slot = {
            let mut others = self
                .others
                .lock()
                .map_err(|_| error::ApiError::internal("snapshot list lock poisoned"))?;
            match others.get(&name) {
                Some(s) => s,
                None => {
                    let s: loaded::Slot = Arc::new(tokio::sync::OnceCell::new());
                    // evicted snapshots are freed once their last request ends
                    drop(others.put(&name, s.clone()));
                    s
                }
            }
        };
        let loaded = slot
            .get_or_try_init(|| {
                let url = self.url.clone();
                let name = name.clone();
                let generation = self.next_generation.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    tokio::task::spawn_blocking(move || loaded::load(&url, &name, generation))
                        .await
                        .map_err(error::ApiError::internal)?
                        .map(Arc::new)
                        .map_err(error::ApiError::from)
                }
            })
            .await;
        match loaded {
            Ok(c) => Ok(c.clone()),
            Err(e) => {
                // an unknown name (or a failed load) does not take a place
                if let Ok(mut others) = self.others.lock() {
                    others.remove_if(&name, |s| Arc::ptr_eq(s, &slot));
                }
                Err(e)
            }
        }
    }

    /// A loaded snapshot by name (the served one or one viewed recently), if in memory.
    pub fn in_memory(&self, name: &str) -> Option<Arc<Current>> {
        let cur = self.current();
        if cur.served.info.name == name {
            return Some(cur);
        }
        let others = self.others.lock().ok()?;
        others.peek(name).and_then(|s| s.get().cloned())
    }

    /// Runs `f` with the store on a blocking thread: the store's calls are synchronous and
    /// must not hold up the async workers.
    pub async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> Result<T, crate::store::StoreError> + Send + 'static,
    ) -> Result<T, error::ApiError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut s = store
                .lock()
                .map_err(|_| error::ApiError::internal("store lock poisoned"))?;
            f(&mut s).map_err(error::ApiError::from)
        })
        .await
        .map_err(error::ApiError::internal)?
    }

    /// Reads the datasets' public flags from the store (one quick query).
    pub fn refresh_flags(&self) -> Result<(), crate::store::StoreError> {
        let flags: HashMap<String, bool> = self
            .store
            .lock()
            .map_err(|_| crate::store::StoreError::Invalid("the store's lock is poisoned".into()))?
            .datasets()?
            .into_iter()
            .map(|d| (d.name, d.public))
            .collect();
        self.set_public(flags);
        Ok(())
    }

    /// Checks the store once: refreshes the datasets' public flags, and loads another
    /// snapshot when one should be served (a newer one, or the pinned one). The load runs
    /// on a connection of its own, so requests that need the store are not held up; a
    /// check while a load is under way does nothing. Returns true when a new snapshot was
    /// installed.
    pub fn refresh(&self) -> Result<bool, crate::store::StoreError> {
        self.refresh_flags()?;
        self.progress.refresh(&self.store)?;
        let Ok(_loading) = self.loading.try_lock() else {
            return Ok(false);
        };
        let want = match &self.opts.snapshot {
            Some(n) => n.clone(),
            None => {
                let latest = self
                    .store
                    .lock()
                    .map_err(|_| {
                        crate::store::StoreError::Invalid("the store's lock is poisoned".into())
                    })?
                    .snapshots()?
                    .pop();
                match latest {
                    Some(s) => s.name,
                    None => return Ok(false),
                }
            }
        };
        let cur = self.current();
        if cur.served.info.name == want {
            return Ok(false);
        }
        tracing::info!(from = %cur.served.info.name, to = %want, "loading a new snapshot");
        let mut store = Store::open(&self.url)?;
        let served = Served::load(&mut store, Some(&want))?;
        tracing::info!(snapshot = %served.info.name, units = served.units.len(), seconds = served.load_seconds, "snapshot loaded");
        self.install(served);
        self.metrics.reloads.fetch_add(1, Ordering::Relaxed);
        Ok(true)
    }
}

/// What the server reports once it listens.
#[derive(Debug, Clone)]
pub struct Ready {
    pub addr: SocketAddr,
    pub snapshot: String,
    pub units: usize,
    pub load_seconds: f64,
}

/// Loads the snapshot from the store at `url` and builds the shared state.
pub fn state(url: &str, opts: ServeOptions) -> Result<Arc<AppState>, ServeError> {
    let mut store = Store::open(url)?;
    store.ensure_migrated(crate::store::embedded_path(url).is_some())?;
    let served = Served::load(&mut store, opts.snapshot.as_deref())?;
    let flags: HashMap<String, bool> = store
        .datasets()?
        .into_iter()
        .map(|d| (d.name, d.public))
        .collect();
    let progress = progress::ProgressCell::load(&mut store)?;
    let items = (opts.cache_bytes / 16_384).max(64) as usize;
    let keep_snapshots = opts.keep_snapshots;
    let mobile_white = match &opts.mobile_areas {
        Some(p) => Some(Arc::new(tiles::mobile::MobileWhite::load(p).map_err(
            |e| ServeError::Config(format!("reading the mobile white areas: {e}")),
        )?)),
        None => None,
    };
    let cache = TileCache::with_weighter(items, opts.cache_bytes, TileWeight);
    Ok(Arc::new(AppState {
        current: RwLock::new(Arc::new(Current {
            served: Arc::new(served),
            generation: 1,
        })),
        public: RwLock::new(Arc::new(flags)),
        store: Arc::new(Mutex::new(store)),
        cache,
        metrics: Metrics::default(),
        tokens: Mutex::new(HashMap::new()),
        opts,
        next_generation: AtomicU64::new(1),
        started: Instant::now(),
        renders: tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        ),
        loading: Mutex::new(()),
        compared: tokio::sync::Mutex::new(None),
        progress,
        others: Mutex::new(loaded::Recent::new(keep_snapshots)),
        url: url.to_string(),
        mobile_white,
    }))
}

/// Runs the server until SIGINT or SIGTERM, then finishes the requests in flight.
/// `ready` is called once the socket listens.
pub fn run(url: &str, opts: ServeOptions, ready: impl FnOnce(&Ready)) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let bind = opts.bind.clone();
    let state = state(url, opts)?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .map_err(|source| ServeError::Bind {
                addr: bind.clone(),
                source,
            })?;
        let addr = listener.local_addr()?;
        let cur = state.current();
        ready(&Ready {
            addr,
            snapshot: cur.served.info.name.clone(),
            units: cur.served.units.len(),
            load_seconds: cur.served.load_seconds,
        });
        drop(cur);
        let watcher = spawn_watcher(state.clone());
        let app = routes::router(state.clone());
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        if let Some(w) = watcher {
            w.abort();
        }
        tracing::info!("server stopped");
        Ok(())
    })
}

fn spawn_watcher(state: Arc<AppState>) -> Option<tokio::task::JoinHandle<()>> {
    let every = state.opts.watch;
    if every.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let s = state.clone();
            match tokio::task::spawn_blocking(move || s.refresh()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "checking the store for a new snapshot"),
                Err(e) => tracing::warn!(error = %e, "the store watcher failed"),
            }
        }
    }))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
