//! The one place an error code becomes an HTTP status.

use super::media::MediaType;
use crate::error::ErrorCode;
use axum::http::StatusCode;

/// What an answer with an error code refused, which decides whether an
/// `application/json` client gets the code's status or 200.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// An HTTP request that is not a GraphQL request (or a response that
    /// could not be written): a failure of HTTP's own.
    Request,
    /// A well-formed GraphQL request, before it ran.
    Operation,
}

/// The HTTP status of an answer refused with `code`, sent as `media`.
pub fn status(code: ErrorCode, media: MediaType, refused: Refused) -> StatusCode {
    match code {
        // HTTP has a word for these, which holds under either media type.
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        // Legacy clients read a well-formed request's refusal from its
        // errors, as the specification asks of `application/json`.
        _ if refused == Refused::Operation && media == MediaType::Json => StatusCode::OK,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UploadLimit => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::BadRequest
        | ErrorCode::BatchLimit
        | ErrorCode::UntrustedDocument
        | ErrorCode::PersistedQueryNotFound
        | ErrorCode::PersistedQueryHashMismatch
        | ErrorCode::PersistedQueryTooLarge
        | ErrorCode::GraphqlParseFailed
        | ErrorCode::GraphqlValidationFailed
        | ErrorCode::DepthLimit
        | ErrorCode::FieldLimit
        | ErrorCode::NodeLimit
        | ErrorCode::PageSizeLimit
        | ErrorCode::IdLimit
        | ErrorCode::CostLimit
        | ErrorCode::BadUserInput
        | ErrorCode::SubscriberLagged => StatusCode::BAD_REQUEST,
    }
}

#[cfg(test)]
mod tests {
    use super::{MediaType, Refused, status};
    use crate::error::ErrorCode;

    #[test]
    fn json_clients_get_200_for_refused_operations_but_not_for_refusals_http_names() {
        let json = |code| status(code, MediaType::Json, Refused::Operation).as_u16();
        let strict = |code| status(code, MediaType::GraphQLResponse, Refused::Operation).as_u16();
        for code in [ErrorCode::GraphqlParseFailed, ErrorCode::Internal] {
            assert_eq!(json(code), 200, "{code:?}");
        }
        assert_eq!(strict(ErrorCode::GraphqlParseFailed), 400);
        assert_eq!(strict(ErrorCode::Internal), 500);
        assert_eq!(strict(ErrorCode::Timeout), 504);
        for (code, expected) in [
            (ErrorCode::Unauthenticated, 401),
            (ErrorCode::Forbidden, 403),
            (ErrorCode::MethodNotAllowed, 405),
            (ErrorCode::RateLimited, 429),
            (ErrorCode::ServiceUnavailable, 503),
        ] {
            assert_eq!((json(code), strict(code)), (expected, expected), "{code:?}");
        }
        let unread = |code| status(code, MediaType::Json, Refused::Request).as_u16();
        assert_eq!(unread(ErrorCode::BadRequest), 400);
        assert_eq!(unread(ErrorCode::UnsupportedMediaType), 415);
        assert_eq!(unread(ErrorCode::UploadLimit), 413);
    }
}
