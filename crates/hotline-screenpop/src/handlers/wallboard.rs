//! `GET /api/wallboard`: the live wallboard as the caller may see it, the
//! same view the supervisor WebSocket pushes (for a first paint, and for
//! agents, who get their own figures only).

use axum::extract::State;
use axum::{Extension, Json};

use crate::scope::Scope;
use crate::session::Authed;
use crate::wallboard::WallboardView;
use crate::App;

/// `GET /api/wallboard`.
pub(crate) async fn wallboard(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
) -> Json<WallboardView> {
    let scope = Scope::of(&me.user);
    Json(app.wallboard.current_view(&app, &scope).await)
}
