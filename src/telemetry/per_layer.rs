//! A per-layer filter that is asked at every span and event.
//!
//! tracing-subscriber (0.3.23) carries each per-layer filter's verdict from
//! `enabled` to the span's or event's creation in a thread-local. A callsite
//! that every filter accepts is cached as `always`, and its spans skip
//! `enabled`: such a span takes whatever the thread's last `enabled` call
//! left there — a `log` record the HTTP client or the database driver
//! asked about and did not emit, say — and is dropped from the log or from
//! the trace at random (tokio-rs/tracing#2519). A request's span lost so
//! loses the caller's trace for the whole request. Capping the interest at
//! `sometimes`, as the upstream fix proposes, makes every span ask, so the
//! thread-local is always its own.

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Filter};

/// `F`, asked at every span and event instead of once per callsite.
pub(super) struct AskedEveryTime<F>(pub F);

impl<S, F: Filter<S>> Filter<S> for AskedEveryTime<F> {
    fn enabled(&self, metadata: &Metadata<'_>, cx: &Context<'_, S>) -> bool {
        self.0.enabled(metadata, cx)
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        let interest = self.0.callsite_enabled(metadata);
        if interest.is_always() {
            Interest::sometimes()
        } else {
            interest
        }
    }

    fn event_enabled(&self, event: &Event<'_>, cx: &Context<'_, S>) -> bool {
        self.0.event_enabled(event, cx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.0.max_level_hint()
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, cx: Context<'_, S>) {
        self.0.on_new_span(attrs, id, cx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, cx: Context<'_, S>) {
        self.0.on_record(id, values, cx);
    }

    fn on_enter(&self, id: &Id, cx: Context<'_, S>) {
        self.0.on_enter(id, cx);
    }

    fn on_exit(&self, id: &Id, cx: Context<'_, S>) {
        self.0.on_exit(id, cx);
    }

    fn on_close(&self, id: Id, cx: Context<'_, S>) {
        self.0.on_close(id, cx);
    }
}
