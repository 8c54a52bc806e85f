//! The success envelope: `{"success": true, "data": ...}`, lists with `"meta": {limit, offset, total}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use wasndr_gateway::Listed;

/// `{"success": true, "data": ...}` in that order.
#[derive(Serialize)]
struct Success<T> {
    success: bool,
    data: T,
}

/// Paging figures of a list.
#[derive(Serialize)]
struct Meta {
    limit: u32,
    offset: u64,
    total: u64,
}

/// `{"success": true, "data": [...], "meta": {...}}`.
#[derive(Serialize)]
struct Page<T> {
    success: bool,
    data: Vec<T>,
    meta: Meta,
}

/// A success answer with `data`.
#[derive(Debug)]
pub(crate) struct Data<T>(pub(crate) T);

impl<T: Serialize> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        Json(Success {
            success: true,
            data: self.0,
        })
        .into_response()
    }
}

/// A success answer with `data` and status 201 Created.
#[derive(Debug)]
pub(crate) struct Created<T>(pub(crate) T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (
            StatusCode::CREATED,
            Json(Success {
                success: true,
                data: self.0,
            }),
        )
            .into_response()
    }
}

/// A list answer with `meta`.
#[derive(Debug)]
pub(crate) struct List<T>(pub(crate) Listed<T>);

impl<T: Serialize> IntoResponse for List<T> {
    fn into_response(self) -> Response {
        let Listed {
            items,
            limit,
            offset,
            total,
        } = self.0;
        Json(Page {
            success: true,
            data: items,
            meta: Meta { limit, offset, total },
        })
        .into_response()
    }
}

/// A whole (unpaged) list answer: `meta` says everything is on this page.
pub(crate) fn whole<T>(items: Vec<T>) -> List<T> {
    let total = items.len() as u64;
    List(Listed {
        limit: u32::try_from(total).unwrap_or(u32::MAX),
        offset: 0,
        total,
        items,
    })
}
