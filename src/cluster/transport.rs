//! The HTTP client under kube's `Client`: kube's own layers, but speaking HTTP/2 to the API server.
//!
//! kube-client builds an HTTP/1.1-only client, so every concurrent call (`get` makes several at
//! once) opens its own TCP connection and TLS handshake. The API server speaks HTTP/2, as kubectl
//! uses it: here concurrent calls wait for one connection and share it. A server (or a proxy in
//! front of it) that does not agree to HTTP/2 in the TLS handshake gets HTTP/1.1, as before; the
//! call that found out is made again over HTTP/1.1, which is safe because it never left the client.
//! The layers (base URI, authentication, impersonation and other headers) are kube's own.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper_rustls::{FixedServerNameResolver, HttpsConnector, HttpsConnectorBuilder};
use hyper_timeout::TimeoutConnector;
use hyper_util::client::legacy::connect::{Connection as _, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use kube::client::{Body, ConfigExt};
use kube::{Client, Config};
use tower::{BoxError, Service, ServiceBuilder};

/// How often an HTTP/2 connection with calls under way is pinged, and how long an answer may take.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(30);

type HyperClient<C> = hyper_util::client::legacy::Client<TimeoutConnector<C>, Body>;

/// Which HTTP versions the client offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.1 only: kube-client's own client.
    Http1,
    /// HTTP/2, or HTTP/1.1 when the server does not agree to it.
    Http2,
}

impl Version {
    /// HTTP/2 needs TLS (ALPN) and no proxy (kube's proxy support is HTTP/1.1).
    /// `SUPPORTACCESS_HTTP=1` forces HTTP/1.1 (benchmarks compare the two).
    pub fn for_config(config: &Config) -> Version {
        let https = config.cluster_url.scheme_str() == Some("https");
        let forced_http1 = std::env::var("SUPPORTACCESS_HTTP").is_ok_and(|v| v == "1");
        if https && config.proxy_url.is_none() && !forced_http1 { Version::Http2 } else { Version::Http1 }
    }
}

/// What the client does beside the calls themselves: `-v=6` and above logs each call as kubectl
/// does; a server dry run sends every write with `dryRun=All`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Trace {
    pub verbosity: u8,
    pub dry_run: bool,
}

/// The verbosity from which each API call is logged (kubectl's `-v=6`).
pub const LOG_CALLS: u8 = 6;

/// The verbosity from which an answer's content type is logged too (kubectl's `-v=8` logs headers).
pub const LOG_CONTENT_TYPES: u8 = 8;

/// A kube `Client` for this configuration.
pub fn client(config: &Config, trace: Trace) -> kube::Result<Client> {
    let traced = TraceLayer { trace, server: config.cluster_url.to_string().trim_end_matches('/').to_string() };
    if Version::for_config(config) == Version::Http1 {
        return Ok(kube::client::ClientBuilder::try_from(config.clone())?.with_layer(&traced).build());
    }
    let refused = Arc::new(AtomicBool::new(false));
    let connect_failed = Arc::new(Mutex::new(None));
    let mut h2 = hyper_util::client::legacy::Client::builder(TokioExecutor::new());
    // Calls share the connection, so it has no read or write timeout (an idle watch on it would
    // end every other call): each call has its own (`--request-timeout`), and pings find a
    // server that went away.
    h2.http2_only(true)
        .timer(TokioTimer::new())
        .http2_keep_alive_interval(KEEP_ALIVE)
        .http2_keep_alive_timeout(KEEP_ALIVE);
    // One TLS configuration for both: reading the certificates and the key is most of what
    // building a client costs, which a fleet of a thousand contexts does a thousand times.
    let tls = config.rustls_client_config()?;
    let mut connect = TimeoutConnector::new(OnlyHttp2 {
        tls: https(config, tls.clone(), true)?,
        refused: refused.clone(),
        failed: connect_failed.clone(),
    });
    connect.set_connect_timeout(config.connect_timeout);
    let transport = Transport {
        http2: h2.build(connect),
        http1: hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .build(timeouts(config, https(config, tls, false)?)),
        http2_refused: refused,
        http2_connect_failed: connect_failed,
    };
    let service = ServiceBuilder::new()
        .layer(traced)
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .service(transport);
    Ok(Client::new(service, config.default_namespace.clone()))
}

#[derive(Clone)]
struct TraceLayer {
    trace: Trace,
    server: String,
}

impl<S> tower::Layer<S> for TraceLayer {
    type Service = Traced<S>;
    fn layer(&self, inner: S) -> Traced<S> {
        Traced { inner, layer: self.clone() }
    }
}

#[derive(Clone)]
pub struct Traced<S> {
    inner: S,
    layer: TraceLayer,
}

impl<S, B> Service<Request<Body>> for Traced<S>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // The API server names the plugin's writes in managed fields by this product.
        if !request.headers().contains_key(http::header::USER_AGENT) {
            let agent = format!("{}/{}", crate::state::FIELD_MANAGER, env!("CARGO_PKG_VERSION"));
            if let Ok(value) = http::HeaderValue::from_str(&agent) {
                request.headers_mut().insert(http::header::USER_AGENT, value);
            }
        }
        if self.layer.trace.dry_run && writes(&request) {
            request = dry_run(request);
        }
        let logged = (self.layer.trace.verbosity >= LOG_CALLS)
            .then(|| (request.method().clone(), format!("{}{}", self.layer.server, request.uri()), Instant::now()));
        let types = self.layer.trace.verbosity >= LOG_CONTENT_TYPES;
        let call = self.inner.call(request);
        Box::pin(async move {
            let answer = call.await;
            if let Some((method, url, started)) = logged {
                let status = match &answer {
                    Ok(response) if types => {
                        let kind = response.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
                        format!("{} ({})", response.status(), kind.unwrap_or("no content type"))
                    }
                    Ok(response) => response.status().to_string(),
                    Err(e) => format!("failed: {e}"),
                };
                let now = chrono::Local::now();
                eprintln!(
                    "I{} {:>7} api] {method} {} {status} in {} milliseconds",
                    now.format("%m%d %H:%M:%S%.6f"),
                    std::process::id(),
                    crate::output::terminal(&url),
                    started.elapsed().as_millis()
                );
            }
            answer
        })
    }
}

/// The same write as a server dry run: `dryRun=All` in the query, and for a DELETE in its body
/// too (the API server reads a DELETE's options from its body when it has one, as kube sends it).
fn dry_run(request: Request<Body>) -> Request<Body> {
    use futures::FutureExt;
    let (mut parts, body) = request.into_parts();
    let uri = parts.uri.to_string();
    let joined = if uri.contains('?') { format!("{uri}&dryRun=All") } else { format!("{uri}?dryRun=All") };
    if let Ok(uri) = joined.parse() {
        parts.uri = uri;
    }
    if parts.method != http::Method::DELETE {
        return Request::from_parts(parts, body);
    }
    // kube's DELETE body is one buffer, read at once.
    let bytes = body.collect_bytes().now_or_never().and_then(Result::ok).unwrap_or_default();
    let mut options: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(map) = options.as_object_mut() {
        map.insert("dryRun".into(), serde_json::json!(["All"]));
    }
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Request::from_parts(parts, Body::from(serde_json::to_vec(&options).unwrap_or_default()))
}

/// A write a server dry run sends as `dryRun=All`: every POST, PUT, PATCH and DELETE but the
/// reviews that only ask (who am I, may I), which write nothing.
fn writes(request: &Request<Body>) -> bool {
    let path = request.uri().path();
    let asks = path.starts_with("/apis/authorization.k8s.io/") || path.starts_with("/apis/authentication.k8s.io/");
    [http::Method::POST, http::Method::PUT, http::Method::PATCH, http::Method::DELETE].contains(request.method())
        && !asks
}

/// TLS as kube configures it, offering (ALPN) HTTP/1.1 only or both versions. Offering HTTP/2
/// alone would make a server that lacks it (Go's among them) fail the handshake itself.
fn https(config: &Config, tls: rustls::ClientConfig, http2: bool) -> kube::Result<HttpsConnector<HttpConnector>> {
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    // HTTP/2 writes a request's headers and body as separate frames: with Nagle's algorithm the
    // body waits for the server's delayed ACK of the headers (40 ms on Linux).
    tcp.set_nodelay(true);
    let mut builder = HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http();
    if let Some(name) = &config.tls_server_name {
        let name = name
            .clone()
            .try_into()
            .map_err(|e| kube::Error::RustlsTls(kube::client::RustlsTlsError::InvalidServerName(e)))?;
        builder = builder.with_server_name_resolver(FixedServerNameResolver::new(name));
    }
    Ok(if http2 {
        builder.enable_all_versions().wrap_connector(tcp)
    } else {
        builder.enable_http1().wrap_connector(tcp)
    })
}

fn timeouts<C>(config: &Config, connector: C) -> TimeoutConnector<C>
where
    C: Service<Uri> + Send,
    C::Response: hyper::rt::Read + hyper::rt::Write + hyper_util::client::legacy::connect::Connection + Send + Unpin,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    let mut connector = TimeoutConnector::new(connector);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    connector
}

/// The server did not agree to HTTP/2 in the TLS handshake.
#[derive(Debug, thiserror::Error)]
#[error("the API server did not agree to HTTP/2")]
struct NotHttp2;

/// A connector that fails, before any request is written, when the connection is not HTTP/2, and
/// says so in `refused`. No HTTP/2 connection exists once `refused` is set. `failed` holds why the
/// last connection attempt failed (cleared when one succeeds).
#[derive(Clone)]
struct OnlyHttp2<C> {
    tls: C,
    refused: Arc<AtomicBool>,
    failed: Arc<Mutex<Option<String>>>,
}

impl<C> Service<Uri> for OnlyHttp2<C>
where
    C: Service<Uri>,
    C::Response: hyper_util::client::legacy::connect::Connection,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tls.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.tls.call(uri);
        let (refused, failed) = (self.refused.clone(), self.failed.clone());
        Box::pin(async move {
            let stream = connecting.await.map_err(Into::into).inspect_err(|e: &BoxError| {
                *failed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(root_cause(&**e));
            })?;
            failed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
            if stream.connected().is_negotiated_h2() {
                return Ok(stream);
            }
            refused.store(true, Ordering::SeqCst);
            Err(NotHttp2.into())
        })
    }
}

/// HTTP/2 until the server turns out not to speak it, then HTTP/1.1 for this client's lifetime.
#[derive(Clone)]
struct Transport {
    http2: HyperClient<OnlyHttp2<HttpsConnector<HttpConnector>>>,
    http1: HyperClient<HttpsConnector<HttpConnector>>,
    /// Set by the HTTP/2 connector when the server refused HTTP/2.
    http2_refused: Arc<AtomicBool>,
    /// Why the last HTTP/2 connection attempt failed, while no later one succeeded.
    http2_connect_failed: Arc<Mutex<Option<String>>>,
}

/// Why the connection a call needed could not be made.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ConnectFailed(String);

impl Service<Request<Body>> for Transport {
    type Response = Response<Incoming>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Incoming>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let mut request = request;
            let mut attempts = 1;
            loop {
                if this.http2_refused.load(Ordering::SeqCst) {
                    return Ok(this.http1.request(request).await?);
                }
                let again = clone_request(&request);
                let error = match this.http2.request(request).await {
                    Ok(response) => return Ok(response),
                    Err(error) => error,
                };
                // Sent again only when it never reached the server: no HTTP/2 connection ever
                // existed (this call made the connection that found out, or waited for it), or
                // the server closed the connection without processing this stream.
                let resend = this.http2_refused.load(Ordering::SeqCst) || (attempts < ATTEMPTS && unprocessed(&error));
                match again {
                    Some(copy) if resend => request = copy,
                    _ => return Err(connect_failure(&this, error)),
                }
                attempts += 1;
            }
        })
    }
}

/// A call that waited for the connection another call was making gets hyper's "request was
/// canceled" when that connection fails: it is given the connection's own failure instead.
fn connect_failure(transport: &Transport, error: hyper_util::client::legacy::Error) -> BoxError {
    let failed = transport.http2_connect_failed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    match failed {
        Some(why) if error.is_connect() => ConnectFailed(why).into(),
        _ => error.into(),
    }
}

/// How many times a request the server did not process is sent, at most.
const ATTEMPTS: u32 = 3;

/// Whether the server refused this request's stream without processing it (RFC 9113 §8.7): a
/// GOAWAY that leaves the stream out, or REFUSED_STREAM. kube-apiserver sends GOAWAY to spread
/// clients over its replicas (`--goaway-chance`) and after answering an unauthenticated request
/// over HTTP/2; the streams sharing that connection are then safe to send again.
fn unprocessed(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(error) = source {
        if let Some(h2) = error.downcast_ref::<h2::Error>() {
            return h2.is_remote() && (h2.is_go_away() || h2.reason() == Some(h2::Reason::REFUSED_STREAM));
        }
        source = error.source();
    }
    false
}

fn clone_request(request: &Request<Body>) -> Option<Request<Body>> {
    let mut copy = Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .version(request.version())
        .body(request.body().try_clone()?)
        .ok()?;
    *copy.headers_mut() = request.headers().clone();
    Some(copy)
}
/// The innermost cause of an error chain: the part a person can act on.
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
