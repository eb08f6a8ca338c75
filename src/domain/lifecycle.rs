//! The partnership lifecycle: which status may follow which.

// The derive that makes the status a GraphQL enum also lists its values;
// walking that list keeps `reachable` in step with the enum.
use async_graphql::resolver_utils::EnumType;

use super::vocabulary::PartnershipStatus::{self, *};

/// Whether the lifecycle allows moving from one status to another:
/// forward along proposed → intent signed → agreement signed → active
/// (steps may be skipped, and a second protocol of intentions repeats
/// "intent signed"), active ⇄ suspended, and active or suspended → ended.
pub fn allowed(from: PartnershipStatus, to: PartnershipStatus) -> bool {
    let rank = |s| match s {
        Proposed => Some(0),
        IntentSigned => Some(1),
        AgreementSigned => Some(2),
        Active => Some(3),
        _ => None,
    };
    match (from, to) {
        (IntentSigned, IntentSigned)
        | (Active, Suspended)
        | (Suspended, Active)
        | (Active | Suspended, Ended) => true,
        _ => matches!((rank(from), rank(to)), (Some(a), Some(b)) if b > a),
    }
}

/// Whether the lifecycle leads from one status to another in one or more
/// allowed steps.
pub fn reachable(from: PartnershipStatus, to: PartnershipStatus) -> bool {
    let mut seen = vec![from];
    let mut frontier = vec![from];
    while let Some(at) = frontier.pop() {
        for next in PartnershipStatus::items().iter().map(|item| item.value) {
            if allowed(at, next) {
                if next == to {
                    return true;
                }
                if !seen.contains(&next) {
                    seen.push(next);
                    frontier.push(next);
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_moves_forward_and_between_active_and_suspended() {
        assert!(allowed(Proposed, IntentSigned));
        assert!(allowed(IntentSigned, Active));
        assert!(allowed(Active, Suspended) && allowed(Suspended, Active));
        assert!(allowed(Suspended, Ended));
        assert!(!allowed(Active, Proposed));
        assert!(!allowed(Ended, Active));
        assert!(!allowed(Proposed, Ended));
        assert!(!allowed(Active, Active));
        assert!(reachable(Proposed, Ended) && reachable(Suspended, Suspended));
        assert!(!reachable(Ended, Active) && !reachable(Active, IntentSigned));
    }
}
