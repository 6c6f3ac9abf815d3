//! `GET /media/{id}?exp=…&sig=…`: downloads by signed URL (no API key: the signature
//! is the permission), streamed from the encrypted store chunk by chunk.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::stream;
use serde::Deserialize;

use super::guard::{error_response, tool_error_response};
use crate::engine::Engine;
use crate::error::ErrorCode;
use crate::ids::{KeyId, MediaId};
use crate::media::signed::{self, Check};
use crate::store::media as table;
use crate::time::now_ms;

#[derive(Deserialize)]
pub struct Signature {
    exp: Option<i64>,
    key: Option<String>,
    sig: Option<String>,
}

pub async fn get(State(engine): State<Arc<Engine>>, Path(id): Path<String>, Query(s): Query<Signature>) -> Response {
    let forbidden = || {
        error_response(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "this download link is not valid",
        )
    };
    let (Some(exp), Some(key), Some(sig)) = (s.exp, s.key, s.sig) else {
        return forbidden();
    };
    let Ok(secret) = signed::secret(&engine.store) else {
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServerError,
            "no signing secret",
        );
    };
    match signed::verify(&secret, &id, exp, &key, &sig, now_ms()) {
        Check::Valid => {}
        Check::Tampered => return forbidden(),
        Check::Expired => {
            return error_response(
                StatusCode::GONE,
                ErrorCode::NotFound,
                "this download link expired; ask download_media for a new one",
            )
        }
    }
    let Ok(key) = KeyId::parse(&key) else {
        return forbidden();
    };
    if let Err(denied) = engine.policy.admit_link(&key) {
        let status = match denied.code {
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::FORBIDDEN,
        };
        return tool_error_response(status, &denied.into());
    }
    let Ok(id) = MediaId::parse(&id) else {
        return forbidden();
    };
    let meta = match engine.store.read(|c| table::get(c, &id)) {
        Ok(Some(m)) => m,
        Ok(None) => return error_response(StatusCode::NOT_FOUND, ErrorCode::NotFound, "the media no longer exists"),
        Err(e) => {
            tracing::error!(error = %e, "could not read media metadata");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::ServerError,
                "storage failure",
            );
        }
    };
    let store = engine.store.clone();
    let chunks = stream::unfold(0i64, move |idx| {
        let store = store.clone();
        let id = id.clone();
        async move {
            let read = tokio::task::spawn_blocking(move || store.read(|c| table::chunk(c, &id, idx))).await;
            match read {
                Ok(Ok(Some(data))) => Some((Ok::<_, std::io::Error>(bytes::Bytes::from(data)), idx + 1)),
                Ok(Ok(None)) => None,
                Ok(Err(e)) => Some((Err(std::io::Error::other(e.to_string())), i64::MAX)),
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), i64::MAX)),
            }
        }
    });
    let mut r = Response::new(Body::from_stream(chunks));
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&meta.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size as u64));
    let name = meta
        .file_name
        .clone()
        .unwrap_or_else(|| meta.id.to_string())
        .replace(['"', '\r', '\n'], "");
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    (StatusCode::OK, r).into_response()
}
