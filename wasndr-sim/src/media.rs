//! The media host: clients upload encrypted blobs (`POST /mms/{type}/{token}`) and download them by
//! their direct path (messaging guide F.4, F.5). Blobs are kept as uploaded; the host never sees keys.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::shared::Shared;

/// Stores the body under a fresh name and answers `{url, direct_path}`.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    Path((_kind, token)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if body.is_empty() {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "empty body"}))).into_response();
    }
    let file = {
        let mut net = shared.net();
        let file = format!(
            "{}-{}.enc",
            net.next_number(),
            token
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(16)
                .collect::<String>()
        );
        net.media.insert(file.clone(), Arc::new(body.to_vec()));
        file
    };
    let direct_path = format!("/v/media/{file}?ccb=11-4");
    Json(json!({
        "url": format!("{}{}", shared.info.media_url, direct_path),
        "direct_path": direct_path,
    }))
    .into_response()
}

/// Serves a stored blob.
pub(crate) async fn download(State(shared): State<Arc<Shared>>, Path(file): Path<String>) -> Response {
    let blob = shared.net().media.get(&file).cloned();
    match blob {
        Some(blob) => (StatusCode::OK, Bytes::from(blob.as_ref().clone())).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
