//! Rate limiting: a budget of cost points per fixed window, per API key
//! (by role) and per client address for anonymous clients. A request is
//! charged its requested cost before it runs, so what a client is told a
//! query costs (a dry run, `extensions.cost`, the `X-RateLimit-*` headers)
//! is exactly what it pays.
//!
//! Budgets live in this process, unless the servers share them in Redis
//! (`--redis-url`, [`crate::shared`]); without it servers behind one load
//! balancer each keep their own, so a client may spend up to one budget per
//! server. When Redis does not answer, the process's own budgets stand in.

use crate::domain::access::{Principal, Role};
use crate::shared::{BudgetAction, Shared};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Points per window for each kind of client; `0` means unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budgets {
    /// Each anonymous client address (or IPv6 /64).
    pub anonymous: u64,
    /// Each key with the reader role.
    pub reader: u64,
    /// Each key with the editor role.
    pub editor: u64,
    /// Each key with the admin role.
    pub admin: u64,
}

impl Budgets {
    fn of(&self, role: Option<Role>) -> u64 {
        match role {
            None => self.anonymous,
            Some(Role::Reader) => self.reader,
            Some(Role::Editor) => self.editor,
            Some(Role::Admin) => self.admin,
        }
    }
}

/// Who a budget belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A key, by its (unique) name.
    Key(String),
    /// An anonymous client, by its address (an IPv6 address by its /64: one
    /// host usually holds a whole /64).
    Address(IpAddr),
    /// An anonymous client whose address is unknown (tests, in-process use).
    Unknown,
}

impl Subject {
    /// Its name in Redis.
    fn shared_key(&self) -> String {
        match self {
            Subject::Key(name) => format!("key:{name}"),
            Subject::Address(address) => format!("address:{address}"),
            Subject::Unknown => "unknown".to_owned(),
        }
    }

    /// The subject of a principal calling from `address`.
    pub fn of(principal: &Principal, address: Option<IpAddr>) -> Self {
        match (principal, address) {
            (Principal::Key { name, .. }, _) => Subject::Key(name.clone()),
            (Principal::Token { subject, .. }, _) => Subject::Key(subject.clone()),
            (Principal::Anonymous, Some(IpAddr::V6(v6))) => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                Subject::Address(IpAddr::V6(network.into()))
            }
            (Principal::Anonymous, Some(address)) => Subject::Address(address),
            (Principal::Anonymous, None) => Subject::Unknown,
        }
    }
}

/// A budget's state after a charge (or a look).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Points per window.
    pub limit: u64,
    /// Points spent in this window.
    pub used: u64,
    /// Points left in this window.
    pub remaining: u64,
    /// When the window ends (seconds since the Unix epoch).
    pub reset_at: u64,
}

/// The answer to a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No budget applies (rate limits off, or an unlimited role).
    Unlimited,
    /// Charged; the budget after the charge.
    Charged(Budget),
    /// The request costs more than the whole budget: it can never run.
    TooCostly(Budget),
    /// Not enough points left; nothing was charged.
    Refused {
        /// The budget, untouched.
        budget: Budget,
        /// How long until the window resets.
        retry_after: Duration,
    },
}

struct Window {
    started: Instant,
    used: u64,
}

/// The budgets of every client this server has seen in the current window.
pub struct RateLimiter {
    budgets: Budgets,
    window: Duration,
    windows: Mutex<Windows>,
    /// Budgets every server shares, when there is a Redis.
    shared: Option<Arc<Shared>>,
}

#[derive(Default)]
struct Windows {
    by_subject: HashMap<Subject, Window>,
    /// When windows that had ended were last dropped.
    pruned: Option<Instant>,
}

/// Above this many tracked clients, windows that have ended are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    pub fn new(budgets: Budgets, window: Duration) -> Self {
        Self {
            budgets,
            window: window.max(Duration::from_secs(1)),
            windows: Mutex::default(),
            shared: None,
        }
    }

    /// Budgets kept in Redis, and in this process while Redis does not
    /// answer.
    pub fn shared(mut self, shared: Option<Arc<Shared>>) -> Self {
        self.shared = shared;
        self
    }

    /// Charges `points` to `subject` if its budget has them.
    pub async fn charge(&self, subject: &Subject, role: Option<Role>, points: u64) -> Verdict {
        let verdict = match self
            .in_redis(subject, role, points, BudgetAction::Charge)
            .await
        {
            Some(verdict) => verdict,
            None => self.with_window(subject, role, |window, limit| {
                if window.used.saturating_add(points) > limit {
                    false
                } else {
                    window.used += points;
                    true
                }
            }),
        };
        match verdict {
            Verdict::Refused { budget, .. } if points > budget.limit => Verdict::TooCostly(budget),
            verdict => verdict,
        }
    }

    /// Gives back `points` charged to `subject` for a request that then did
    /// not run.
    pub async fn refund(&self, subject: &Subject, role: Option<Role>, points: u64) {
        if self
            .in_redis(subject, role, points, BudgetAction::Refund)
            .await
            .is_some()
        {
            return;
        }
        self.with_window(subject, role, |window, _| {
            window.used = window.used.saturating_sub(points);
            true
        });
    }

    /// The budget of `subject`, charging nothing (a dry run).
    pub async fn peek(&self, subject: &Subject, role: Option<Role>) -> Verdict {
        match self.in_redis(subject, role, 0, BudgetAction::Peek).await {
            Some(verdict) => verdict,
            None => self.with_window(subject, role, |_, _| true),
        }
    }

    /// The action done on the shared budget, or `None` when there is no
    /// Redis or it does not answer.
    async fn in_redis(
        &self,
        subject: &Subject,
        role: Option<Role>,
        points: u64,
        action: BudgetAction,
    ) -> Option<Verdict> {
        let shared = self.shared.as_ref()?;
        let limit = self.budgets.of(role);
        if limit == 0 {
            return Some(Verdict::Unlimited);
        }
        let after = shared
            .budget(&subject.shared_key(), limit, points, self.window, action)
            .await?;
        let reset_at = (SystemTime::now() + after.left)
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
        let budget = Budget {
            limit,
            used: after.used,
            remaining: limit.saturating_sub(after.used),
            reset_at,
        };
        Some(if after.accepted {
            Verdict::Charged(budget)
        } else {
            Verdict::Refused {
                budget,
                retry_after: after.left,
            }
        })
    }

    fn with_window(
        &self,
        subject: &Subject,
        role: Option<Role>,
        apply: impl FnOnce(&mut Window, u64) -> bool,
    ) -> Verdict {
        let limit = self.budgets.of(role);
        if limit == 0 {
            return Verdict::Unlimited;
        }
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-update
        // of a counter: the map itself is still sound.
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // At most once a second, so that a flood of new addresses costs
        // one sweep a second, not one per request.
        if windows.by_subject.len() > PRUNE_ABOVE
            && windows
                .pruned
                .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1))
        {
            let window = self.window;
            windows
                .by_subject
                .retain(|_, w| now.duration_since(w.started) < window);
            windows.pruned = Some(now);
        }
        let window = windows.by_subject.entry(subject.clone()).or_insert(Window {
            started: now,
            used: 0,
        });
        if now.duration_since(window.started) >= self.window {
            *window = Window {
                started: now,
                used: 0,
            };
        }
        let accepted = apply(window, limit);
        let left = self
            .window
            .saturating_sub(now.duration_since(window.started));
        let reset_at = (SystemTime::now() + left)
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
        let budget = Budget {
            limit,
            used: window.used,
            remaining: limit.saturating_sub(window.used),
            reset_at,
        };
        if accepted {
            Verdict::Charged(budget)
        } else {
            Verdict::Refused {
                budget,
                retry_after: left,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn charges_until_the_budget_is_spent_then_refuses_without_charging() {
        let budgets = Budgets {
            anonymous: 10,
            reader: 0,
            editor: 100,
            admin: 100,
        };
        let limiter = RateLimiter::new(budgets, Duration::from_secs(60));
        let who = Subject::Address([127, 0, 0, 1].into());
        let Verdict::Charged(b) = limiter.charge(&who, None, 4).await else {
            panic!("the first charge fits")
        };
        assert_eq!((b.limit, b.used, b.remaining), (10, 4, 6));
        assert!(
            matches!(limiter.charge(&who, None, 6).await, Verdict::Charged(b) if b.remaining == 0)
        );
        let Verdict::Refused {
            budget,
            retry_after,
        } = limiter.charge(&who, None, 1).await
        else {
            panic!("an empty budget refuses")
        };
        assert_eq!(budget.used, 10, "a refusal charges nothing");
        assert!(retry_after <= Duration::from_secs(60));
        // Another client, and an unlimited role, are not affected.
        let other = Subject::Address([10, 0, 0, 1].into());
        assert!(matches!(
            limiter.charge(&other, None, 1).await,
            Verdict::Charged(_)
        ));
        assert_eq!(
            limiter
                .charge(&Subject::Key("k".into()), Some(Role::Reader), 1_000)
                .await,
            Verdict::Unlimited
        );
    }
}
