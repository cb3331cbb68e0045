//! `exodus explore [SCENARIO]`: an interactive what-if explorer in the browser. A local web
//! server (axum on tokio, bound to 127.0.0.1 only, refusing requests for any other host name)
//! serves one page and its assets, all embedded in the binary (uPlot 1.6.32 vendored with its
//! licence; no CDN), and a small JSON API:
//!
//! - `GET /api/scenario`: the scenario, its controls with their ranges, its events and the
//!   baseline's daily curves;
//! - `POST /api/run` with a change: checked as the command line checks it (422 with the same
//!   messages, each tied to its control), then run at the capped agent count with the
//!   baseline's random numbers; the page's previous run is cancelled (409 if a newer change of
//!   the page came first, 429 when MAX_RUNS runs are in progress);
//! - `GET /api/runs/{id}`: the run's days as server-sent events (`day`, then `done`,
//!   `cancelled` or `stopped`);
//! - `POST /api/file`: the changed scenario, a file that extends the original.
//!
//! Every response carries a Content-Security-Policy that allows this server only and reports
//! violations to `POST /api/csp` (listed by `GET /api/csp`, for tests). The API answers its own
//! page only: another host name, another site (`Sec-Fetch-Site`, `Origin`) or a change not sent
//! as JSON is refused. Ctrl-C or SIGTERM stops the server: runs are cancelled (between days,
//! also of the burn-in) and open streams end.

pub mod model;

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::app::AppError;
use crate::cancel::Cancel;
use model::{Change, Ended, Model};

/// Agents per run unless `--agents` says otherwise.
pub const DEFAULT_AGENTS: u64 = 20_000;
/// The most agents `--agents` allows: a run must answer a slider in seconds.
pub const MAX_AGENTS: u64 = 1_000_000;
/// Seconds a run may take unless `--max-seconds` says otherwise.
pub const DEFAULT_MAX_SECONDS: f64 = 60.0;
/// Runs in progress at once, over all pages: more are refused until one ends.
pub const MAX_RUNS: usize = 4;
/// The port unless `--port` says otherwise.
pub const DEFAULT_PORT: u16 = 8150;

/// Options of `exodus explore`.
#[derive(Debug, Clone)]
pub struct ExploreOptions {
    pub scenario: PathBuf,
    pub port: u16,
    pub agents: u64,
    pub max_seconds: f64,
    pub threads: Option<usize>,
}

/// What the server shares between requests.
struct Shared {
    model: Model,
    port: u16,
    next_run: AtomicU64,
    /// Run ids are drawn from this, so no other page can guess one.
    run_ids: std::collections::hash_map::RandomState,
    /// Runs in progress.
    running: Arc<std::sync::atomic::AtomicUsize>,
    /// Each page's latest change and its run.
    pages: Mutex<HashMap<String, PageRun>>,
    /// Runs whose stream has not been opened yet, with when they started.
    streams: Mutex<HashMap<u64, (std::time::Instant, mpsc::UnboundedReceiver<Message>)>>,
    /// Set on shutdown: every run stops.
    stopping: Arc<AtomicBool>,
    /// Content-Security-Policy violation reports received.
    csp_reports: Mutex<Vec<serde_json::Value>>,
}

/// A page's latest change: its number (the page counts its changes), its run's id and cancel
/// token, whether that run is in progress, and when the change came.
struct PageRun {
    seq: u64,
    run: u64,
    cancel: Cancel,
    live: Arc<AtomicBool>,
    at: std::time::Instant,
}

/// A page whose run has ended is forgotten after this long without a change.
const FORGOTTEN: std::time::Duration = std::time::Duration::from_secs(600);

/// A run whose stream is not opened within this time is dropped (and so stopped).
const UNOPENED: std::time::Duration = std::time::Duration::from_secs(60);

/// Content-Security-Policy reports kept (for tests); more are counted out.
const MAX_CSP_REPORTS: usize = 100;

/// What a run's stream carries.
enum Message {
    Day(model::DayValues),
    End(Ended, f64),
}

const INDEX: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
const UPLOT_JS: &str = include_str!("assets/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("assets/uPlot.min.css");
const UPLOT_LICENSE: &str = include_str!("assets/uPlot-LICENSE.txt");

/// The policy every response carries: this server only, reports to it.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; report-uri /api/csp";

/// Loads the scenario, runs its baseline and serves until Ctrl-C or SIGTERM; `ready` is called
/// with the address once the server listens.
pub fn serve(opts: &ExploreOptions, ready: impl FnOnce(&str)) -> Result<(), AppError> {
    let model = Model::load(&opts.scenario, opts.agents, opts.max_seconds, opts.threads)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::Resources(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
            .await
            .map_err(|e| {
                AppError::Input(format!(
                    "cannot listen on 127.0.0.1:{}: {e}{}",
                    opts.port,
                    if e.kind() == std::io::ErrorKind::AddrInUse {
                        " (another program uses the port: choose another with --port, or --port 0 for any free one)"
                    } else {
                        ""
                    }
                ))
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| AppError::Resources(e.to_string()))?
            .port();
        let shared = Arc::new(Shared {
            model,
            port,
            next_run: AtomicU64::new(1),
            run_ids: std::collections::hash_map::RandomState::new(),
            running: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            pages: Mutex::new(HashMap::new()),
            streams: Mutex::new(HashMap::new()),
            stopping: Arc::new(AtomicBool::new(false)),
            csp_reports: Mutex::new(Vec::new()),
        });
        let app = router(shared.clone());
        ready(&format!("http://127.0.0.1:{port}/"));
        let stopping = shared.stopping.clone();
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                // Runs stop between days; their streams then end, so the server can close.
                stopping.store(true, Ordering::SeqCst);
                for page in lock(&shared.pages).values() {
                    page.cancel.cancel();
                }
                lock(&shared.streams).clear();
            })
            .await
            .map_err(|e| AppError::Resources(format!("the server failed: {e}")))
    })
}

/// Ctrl-C or SIGTERM.
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
        () = ctrl_c => {}
        () = term => {}
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The page and its assets: path, body, content type.
const ASSETS: [(&str, &str, &str); 6] = [
    ("/", INDEX, "text/html; charset=utf-8"),
    ("/app.js", APP_JS, "text/javascript; charset=utf-8"),
    ("/app.css", APP_CSS, "text/css; charset=utf-8"),
    (
        "/uPlot.iife.min.js",
        UPLOT_JS,
        "text/javascript; charset=utf-8",
    ),
    ("/uPlot.min.css", UPLOT_CSS, "text/css; charset=utf-8"),
    (
        "/uPlot-LICENSE.txt",
        UPLOT_LICENSE,
        "text/plain; charset=utf-8",
    ),
];

fn router(shared: Arc<Shared>) -> Router {
    ASSETS
        .iter()
        .fold(Router::new(), |router, &(path, body, kind)| {
            router.route(path, get(move || async move { asset(body, kind) }))
        })
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/api/scenario", get(scenario))
        .route("/api/run", post(run))
        .route("/api/runs/{id}", get(stream))
        .route("/api/file", post(file))
        .route("/api/csp", post(csp_report).get(csp_list))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// Refuses requests addressed to any host but this server (a page elsewhere that resolves its
/// own name to 127.0.0.1 cannot use it), API requests from pages of other sites (a browser says
/// where a request comes from in `Sec-Fetch-Site` and `Origin`), and changes not sent as JSON
/// (a cross-site form or `no-cors` fetch cannot send JSON without asking first); puts the
/// security headers on every response.
async fn guard(
    State(shared): State<Arc<Shared>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = match refusal(&shared, &request) {
        Some(r) => r,
        None => next.run(request).await,
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Why `request` is refused, if it is.
fn refusal(shared: &Shared, request: &axum::extract::Request) -> Option<Response> {
    let headers = request.headers();
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let port = shared.port;
    let hosts = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    let forbidden = |why: String| Some((StatusCode::FORBIDDEN, why).into_response());
    if !hosts.contains(&text(header::HOST)) {
        return forbidden(format!(
            "exodus explore answers only to http://127.0.0.1:{port}/"
        ));
    }
    if !request.uri().path().starts_with("/api/") {
        return None;
    }
    let site = text(header::HeaderName::from_static("sec-fetch-site"));
    let origin = text(header::ORIGIN);
    let ours = hosts.iter().any(|h| origin == format!("http://{h}"));
    if !(site.is_empty() || site == "same-origin" || site == "none") || !(origin.is_empty() || ours)
    {
        return forbidden("the explorer's API answers its own page only".into());
    }
    let kind = text(header::CONTENT_TYPE);
    // Browsers send policy violation reports as application/csp-report, to /api/csp only.
    let json = kind.starts_with("application/json")
        || (kind.starts_with("application/csp-report") && request.uri().path() == "/api/csp");
    if request.method() == axum::http::Method::POST && !json {
        return Some(
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the change as JSON (Content-Type: application/json)",
            )
                .into_response(),
        );
    }
    None
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    (headers, body).into_response()
}

async fn scenario(State(shared): State<Arc<Shared>>) -> Response {
    let m = &shared.model;
    let p = &m.base.params;
    let colors = crate::plot::style::platform_colors(
        &m.platforms(),
        &p.platforms
            .iter()
            .map(|x| x.color.clone())
            .collect::<Vec<_>>(),
    );
    axum::Json(json!({
        "name": p.name,
        "description": p.description,
        "file": m.path.display().to_string(),
        "agents": m.agents,
        "people": p.people,
        "seed": p.seed,
        "max_seconds": m.max_seconds,
        "dates": m.dates(),
        "platforms": m.platforms(),
        "colors": colors.iter().map(|c| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)).collect::<Vec<_>>(),
        "metrics": model::METRICS.iter().map(|x| x.name()).collect::<Vec<_>>(),
        "controls": m.controls(),
        "events": m.events(),
        "actions": crate::scenario::file::EventAction::ALL.iter().map(|a| a.name()).collect::<Vec<_>>(),
        "baseline": m.baseline,
        "exodus_version": crate::VERSION,
    }))
    .into_response()
}

/// A change from a page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    /// The page's id: a page has one run at a time.
    page: String,
    /// The change's number in the page's order (0: not counted): a change older than the
    /// page's latest is refused, so a late request cannot replace a newer run.
    #[serde(default)]
    seq: u64,
    #[serde(flatten)]
    change: Change,
}

/// A refusal with one message, in the shape of the page's error list.
fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "errors": [{ "path": null, "message": message }] })),
    )
        .into_response()
}

fn problems_response(problems: Vec<model::Problem>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(json!({ "errors": problems })),
    )
        .into_response()
}

async fn run(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let request: RunRequest = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("the request is not a change: {e}"),
            );
        }
    };
    // A run id no other page can guess, that JavaScript's numbers hold exactly (53 bits).
    let count = shared.next_run.fetch_add(1, Ordering::SeqCst);
    let id = std::hash::BuildHasher::hash_one(&shared.run_ids, count) & ((1 << 53) - 1);
    // The page's previous run stops now, whether or not this change is valid; its stream, if
    // never opened, goes with it.
    let cancel = Cancel::new();
    let live = Arc::new(AtomicBool::new(false));
    let had_run = {
        let mut pages = lock(&shared.pages);
        let prev = pages.get(&request.page);
        if let Some(prev) = prev
            && request.seq != 0
            && request.seq < prev.seq
        {
            return error(
                StatusCode::CONFLICT,
                "a newer change of this page came first",
            );
        }
        // A change not counted (seq 0) keeps the page's latest number.
        let seq = prev.map_or(request.seq, |p| p.seq.max(request.seq));
        pages.retain(|_, p| p.live.load(Ordering::SeqCst) || p.at.elapsed() < FORGOTTEN);
        let prev = pages.insert(
            request.page.clone(),
            PageRun {
                seq,
                run: id,
                cancel: cancel.clone(),
                live: live.clone(),
                at: std::time::Instant::now(),
            },
        );
        // Only a run still in progress (winding down once cancelled) lets the page past the
        // limit on runs: its place is about to be freed.
        prev.is_some_and(|prev| {
            prev.cancel.cancel();
            lock(&shared.streams).remove(&prev.run);
            prev.live.load(Ordering::SeqCst)
        })
    };
    let checked = {
        let shared = shared.clone();
        let change = request.change.clone();
        tokio::task::spawn_blocking(move || shared.model.apply(&change)).await
    };
    let changed = match checked {
        Ok(Ok(c)) => c,
        Ok(Err(problems)) => return problems_response(problems),
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the check failed: {e}"),
            )
                .into_response();
        }
    };
    if shared.stopping.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "the server is stopping").into_response();
    }
    // The runs of other pages share the machine: at most MAX_RUNS at once (a page's own
    // cancelled run, winding down, does not keep it from its next).
    let running = shared.running.clone();
    if running.fetch_add(1, Ordering::SeqCst) >= MAX_RUNS && !had_run {
        running.fetch_sub(1, Ordering::SeqCst);
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "{MAX_RUNS} runs are in progress (other pages of this server): try again when one ends"
            ),
        );
    }
    let (tx, rx) = mpsc::unbounded_channel();
    lock(&shared.streams).insert(id, (std::time::Instant::now(), rx));
    // A stream not opened in time is dropped, which stops its run.
    tokio::spawn({
        let shared = shared.clone();
        async move {
            tokio::time::sleep(UNOPENED).await;
            lock(&shared.streams).remove(&id);
        }
    });
    let command = changed.command.clone();
    let runner = shared.clone();
    live.store(true, Ordering::SeqCst);
    let slot = RunSlot(running, live);
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let started = std::time::Instant::now();
        let ended = runner.model.run(&changed.scenario, &cancel, &mut |day| {
            // A closed stream (the page went away) stops the run.
            tx.send(Message::Day(day)).is_ok()
        });
        let _ = tx.send(Message::End(ended, started.elapsed().as_secs_f64()));
    });
    axum::Json(json!({ "run": id, "command": command })).into_response()
}

/// A run's place among the MAX_RUNS, given back (and its page's run marked ended) when the run
/// ends however it ends.
struct RunSlot(Arc<std::sync::atomic::AtomicUsize>, Arc<AtomicBool>);

impl Drop for RunSlot {
    fn drop(&mut self) {
        self.1.store(false, Ordering::SeqCst);
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn stream(State(shared): State<Arc<Shared>>, UrlPath(id): UrlPath<u64>) -> Response {
    let Some((_, rx)) = lock(&shared.streams).remove(&id) else {
        return (
            StatusCode::NOT_FOUND,
            format!("no run {id} waiting to be streamed"),
        )
            .into_response();
    };
    let max = shared.model.max_seconds;
    let events = UnboundedReceiverStream::new(rx).map(move |m| {
        Ok::<Event, Infallible>(match m {
            Message::Day(d) => Event::default()
                .event("day")
                .data(serde_json::to_string(&d).unwrap_or_default()),
            Message::End(Ended::Done, s) => Event::default()
                .event("done")
                .data(json!({ "seconds": s }).to_string()),
            Message::End(Ended::Cancelled, s) => Event::default()
                .event("cancelled")
                .data(json!({ "seconds": s }).to_string()),
            Message::End(Ended::TimedOut, s) => Event::default().event("stopped").data(
                json!({
                    "seconds": s,
                    "reason": format!("the run took longer than {max} s, the server's limit (exodus explore --max-seconds)"),
                })
                .to_string(),
            ),
        })
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn file(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let change: Change = match serde_json::from_str(&body) {
        Ok(c) => c,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("the request is not a change: {e}"),
            )
                .into_response();
        }
    };
    let s = shared.clone();
    match tokio::task::spawn_blocking(move || s.model.apply(&change)).await {
        Ok(Ok(changed)) => {
            let stem = shared
                .model
                .path
                .file_stem()
                .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/toml; charset=utf-8"),
            );
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"{stem}-explored.toml\""))
            {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            (headers, changed.file_text).into_response()
        }
        Ok(Err(problems)) => problems_response(problems),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn csp_report(State(shared): State<Arc<Shared>>, body: String) -> StatusCode {
    let report = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
    let mut reports = lock(&shared.csp_reports);
    if reports.len() < MAX_CSP_REPORTS {
        reports.push(report);
    }
    StatusCode::NO_CONTENT
}

async fn csp_list(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(lock(&shared.csp_reports).clone()).into_response()
}
