//! Webhook rules: which changes an endpoint wants, and when a failed
//! delivery is tried again.

use super::changes::Action;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Which changes an endpoint is sent, as `recordChanged` filters them:
/// a change set goes out when any of its changes matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Record type names (`City`); every type when absent.
    pub types: Option<Vec<String>>,
    /// Every action when absent.
    pub actions: Option<Vec<String>>,
}

impl EventFilter {
    /// Whether a change of this type and action is wanted.
    pub fn matches(&self, record_type: &str, action: Action) -> bool {
        self.types
            .as_ref()
            .is_none_or(|t| t.iter().any(|t| t == record_type))
            && self
                .actions
                .as_ref()
                .is_none_or(|a| a.iter().any(|a| a == action.as_str()))
    }
}

/// Longest wait between two attempts, so that an endpoint that comes back
/// hears of it within hours even late in the retry window.
const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);

/// The wait after the `attempts`-th failed attempt: `base` doubled each
/// time up to [`MAX_DELAY`], then between three quarters and all of it
/// (`jitter` in `0..1`), so that many deliveries failing together do not
/// all come back at once.
pub fn retry_delay(attempts: u32, base: Duration, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
    doubled
        .min(MAX_DELAY)
        .mul_f64(0.75 + 0.25 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_matches_by_type_and_action() {
        let all = EventFilter::default();
        assert!(all.matches("City", Action::Deleted));
        let cities_created = EventFilter {
            types: Some(vec!["City".into()]),
            actions: Some(vec!["CREATED".into()]),
        };
        assert!(cities_created.matches("City", Action::Created));
        assert!(!cities_created.matches("City", Action::Updated));
        assert!(!cities_created.matches("Visit", Action::Created));
    }

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap_and_cover_a_day() {
        let base = Duration::from_secs(5);
        assert_eq!(retry_delay(1, base, 1.0), base);
        assert_eq!(retry_delay(3, base, 1.0), base * 4);
        assert!(retry_delay(3, base, 0.0) < base * 4);
        assert_eq!(retry_delay(40, base, 1.0), MAX_DELAY);
        let day: Duration = (1..=20).map(|n| retry_delay(n, base, 0.0)).sum();
        assert!(day >= Duration::from_secs(24 * 3600), "{day:?}");
    }
}
