//! Trellis over HTTP: the JSON API (`/api/v1`, with its OpenAPI document), the vendor console
//! (`/console`) and the partner portal (`/portal`). Handlers translate only: parse, call one
//! service function, render.

pub mod api;
pub mod client;
pub mod config;
pub mod error;
pub mod middleware;
pub mod state;
pub mod ui;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

pub use config::WebConfig;
pub use state::AppState;

/// The whole application router with its middleware, ready to serve.
pub fn router(state: AppState) -> Router {
    let (api, _) = api::router();
    let web = state.web.clone();
    // The PSI transport (private account mapping with another Trellis server) signs its own
    // requests and responses; it is not part of the API document.
    let psi = state.services.psi_server().router();
    let app = Router::new()
        .merge(api)
        .merge(ui::routes())
        .with_state(state)
        .nest(trellis_service::mapping::PSI_PATH, psi);
    middleware::wrap(app, &web)
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains open requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
