//! Uploads: a POST in the GraphQL multipart request specification (an
//! `operations` part, a `map` part naming the variables each file fills,
//! then the files), read by async-graphql, whose `Upload` arguments then
//! hold the files.
//!
//! async-graphql-axum's `GraphQLBatchRequest` reads such a body with
//! `MultipartOptions::default()`, which bounds neither a file nor the
//! files together, and turns the body's errors into text, so that a body
//! cut off at `--max-body-bytes` would answer 400 rather than 413. So the
//! body goes to `receive_batch_body`, the function the extractor calls,
//! with this server's options, and its errors keep their cause.
//!
//! A browser sends a multipart form across origins without asking first
//! (no CORS preflight), but never with an `Authorization` header: such a
//! request is anonymous, and may do only what anyone may.

use super::request::{BadRequest, Batch, Unread, check_batch_size, over_the_body_limit};
use crate::error::ErrorCode;
use async_graphql::ParseRequestError;
use async_graphql::http::MultipartOptions;
use axum::body::Body;
use axum::http::{HeaderMap, header};
use futures_util::TryStreamExt;

/// The largest file (or other part of a multipart body) a request may
/// upload. async-graphql bounds the files together at this size times the
/// number of files allowed (one per operation of the largest batch, and at
/// least one), and the body limit bounds the whole request.
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;

/// Whether a POST's body is `multipart/form-data`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The operations of a multipart POST, with their files; a batch of at most
/// `max_batch` operations.
pub async fn from_multipart(
    headers: &HeaderMap,
    body: Body,
    max_batch: usize,
) -> Result<Batch, Unread> {
    let options = MultipartOptions::default()
        .max_file_size(MAX_UPLOAD_BYTES)
        .max_num_files(max_batch.max(1));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let reader = body
        .into_data_stream()
        .map_err(std::io::Error::other)
        .into_async_read();
    let batch = async_graphql::http::receive_batch_body(content_type, reader, options)
        .await
        .map_err(unread)?;
    match batch {
        async_graphql::BatchRequest::Single(request) => Ok(Batch::Single(Box::new(request))),
        async_graphql::BatchRequest::Batch(requests) => {
            check_batch_size(requests.len(), max_batch)?;
            Ok(Batch::Many(requests))
        }
    }
}

/// Why a multipart body could not be read, with a message that names its
/// part.
fn unread(error: ParseRequestError) -> Unread {
    let invalid = |message: String| Unread::Invalid(BadRequest::invalid(message));
    match error {
        ParseRequestError::PayloadTooLarge => Unread::Invalid(BadRequest::new(
            ErrorCode::UploadLimit,
            format!(
                "a file (or another part of the multipart body) is larger than the {MAX_UPLOAD_BYTES} bytes an upload may be"
            ),
        )),
        ParseRequestError::InvalidMultipart(error) if over_the_body_limit(&error) => {
            Unread::TooLarge
        }
        ParseRequestError::InvalidMultipart(error) => {
            invalid(format!("the multipart body cannot be read: {error}"))
        }
        ParseRequestError::MissingOperatorsPart => {
            invalid("the multipart body has no `operations` part".to_owned())
        }
        ParseRequestError::MissingMapPart => {
            invalid("the multipart body has no `map` part".to_owned())
        }
        ParseRequestError::InvalidRequest(error) => invalid(format!(
            "the `operations` part is not a GraphQL request (or a batch of them): {error}"
        )),
        ParseRequestError::InvalidFilesMap(error) => invalid(format!(
            "the `map` part must map each file's name to the variables it fills: {error}"
        )),
        ParseRequestError::MissingFiles => {
            invalid("the `map` part names a file the multipart body does not hold".to_owned())
        }
        other => invalid(format!("the multipart body cannot be read: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{Unread, from_multipart, is_multipart};
    use axum::body::Body;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn multipart_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=X"),
        );
        headers
    }

    #[test]
    fn only_multipart_form_data_is_an_upload() {
        assert!(is_multipart(&multipart_headers()));
        let mut mixed = HeaderMap::new();
        mixed.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/mixed"),
        );
        assert!(!is_multipart(&mixed));
        assert!(!is_multipart(&HeaderMap::new()));
    }

    #[tokio::test]
    async fn a_body_cut_off_at_the_body_limit_is_too_large_not_malformed() {
        let form = "--X\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\": \"{ __typename }\"}\r\n--X--\r\n";
        // What the body limit layer does to a body sent in chunks.
        let body = Body::new(http_body_util::Limited::new(form.to_owned(), 16));
        let read = from_multipart(&multipart_headers(), body, 1).await;
        assert!(matches!(read, Err(Unread::TooLarge)), "{:?}", read.err());
    }
}
