//! A partnership's status history on import.
//!
//! A document may give a partnership's history (`statusHistory`): it is the
//! record of fact and replaces every stored step of that partnership, those
//! recorded through the API included (an export carries them, so a round
//! trip keeps them). A partnership given without a history keeps its
//! recorded steps (from the API or an earlier imported history), and import
//! derives the rest from its dates and signed protocols (steps marked
//! `derived`, rebuilt on every import), never a step the lifecycle forbids.

use super::document::{Document, StatusStep};
use super::keys::{Keys, Kind};
use crate::domain::lifecycle::{allowed, reachable};
use crate::domain::partial_date::PartialDate;
use crate::domain::vocabulary::PartnershipStatus;
use crate::store::status_changes::{self, HistoryStep};
use crate::store::{CHUNK, batched};
use entity::{partnership, partnership_status_change as step, protocol};
use sea_orm::{ConnectionTrait, DbErr, prelude::DateTimeUtc};
use std::collections::{HashMap, HashSet};

/// Records an import wrote: `(id, index in the document)` each.
type Written = [(i32, usize)];

/// Brings histories up to date after an import wrote the given
/// partnerships and protocols: a history the document gives replaces the stored one; the others are
/// derived again, as are those of the partnerships whose protocols changed.
pub async fn update(
    db: &impl ConnectionTrait,
    document: &Document,
    (partnerships, protocols): (&Written, &Written),
    keys: &Keys,
    now: DateTimeUtc,
) -> Result<(), DbErr> {
    let given: Vec<(i32, &[StatusStep])> = partnerships
        .iter()
        .filter_map(|(id, index)| {
            let history = document.partnerships[*index].status_history.as_deref()?;
            Some((*id, history))
        })
        .collect();
    replace_given(db, &given, keys, now).await?;
    let with_history: HashSet<i32> = document
        .partnerships
        .iter()
        .filter(|p| p.status_history.is_some())
        .map(|p| keys.id(Kind::Partnership, &p.key))
        .collect();
    let mut dirty: Vec<i32> = partnerships.iter().map(|(id, _)| *id).collect();
    for (_, index) in protocols {
        if let Some(key) = &document.protocols[*index].partnership {
            dirty.push(keys.id(Kind::Partnership, key));
        }
    }
    dirty.retain(|id| !with_history.contains(id));
    dirty.sort_unstable();
    dirty.dedup();
    rebuild_derived(db, &dirty, now).await
}

/// Replaces the whole history of each partnership with the one given.
async fn replace_given(
    db: &impl ConnectionTrait,
    given: &[(i32, &[StatusStep])],
    keys: &Keys,
    now: DateTimeUtc,
) -> Result<(), DbErr> {
    for chunk in given.chunks(CHUNK) {
        let ids: Vec<i32> = chunk.iter().map(|(id, _)| *id).collect();
        status_changes::delete_histories(db, &ids).await?;
        let mut steps = Vec::new();
        for (partnership_id, history) in chunk {
            for (position, step) in history.iter().enumerate() {
                steps.push(HistoryStep {
                    partnership_id: *partnership_id,
                    status: step.status.into(),
                    on: step.on,
                    city_id: step.city.as_deref().map(|k| keys.id(Kind::City, k)),
                    protocol_id: step.protocol.as_deref().map(|k| keys.id(Kind::Protocol, k)),
                    note: step.note.clone(),
                    source_ids: step
                        .sources
                        .iter()
                        .map(|k| keys.id(Kind::Source, k))
                        .collect(),
                    derived: false,
                    position: i32::try_from(position).unwrap_or(i32::MAX),
                });
            }
        }
        status_changes::insert_steps(db, steps, now).await?;
    }
    Ok(())
}

/// Replaces the derived steps of the given partnerships, fitting them
/// around the steps recorded for them.
async fn rebuild_derived(
    db: &impl ConnectionTrait,
    partnership_ids: &[i32],
    now: DateTimeUtc,
) -> Result<(), DbErr> {
    for ids in partnership_ids.chunks(CHUNK) {
        status_changes::delete_derived(db, ids).await?;
        let partnerships = batched::find_by_ids::<partnership::Model>(db, ids).await?;
        let protocols = status_changes::find_protocols_of(db, ids).await?;
        let mut recorded: HashMap<i32, Vec<step::Model>> = HashMap::new();
        for (step, _) in status_changes::find_histories(db, Some(ids)).await? {
            recorded.entry(step.partnership_id).or_default().push(step);
        }
        let (mut moved, mut derived) = (Vec::new(), Vec::new());
        for partnership in &partnerships {
            let recorded = recorded.remove(&partnership.id).unwrap_or_default();
            let own: Vec<&protocol::Model> = protocols
                .iter()
                .filter(|p| p.partnership_id == Some(partnership.id))
                // A protocol with a recorded step needs no derived one.
                .filter(|p| !recorded.iter().any(|s| s.protocol_id == Some(p.id)))
                .collect();
            let candidates = candidates(partnership, &own);
            let history = fit(&recorded, candidates, partnership.status.into());
            for (position, entry) in history.into_iter().enumerate() {
                let position = i32::try_from(position).unwrap_or(i32::MAX);
                match entry {
                    Entry::Recorded(step) if step.position != position => {
                        moved.push((step.id, position));
                    }
                    Entry::Recorded(_) => {}
                    Entry::Derived((status, on, protocol_id)) => derived.push(HistoryStep {
                        partnership_id: partnership.id,
                        status: status.into(),
                        on,
                        city_id: None,
                        protocol_id,
                        note: None,
                        source_ids: Vec::new(),
                        derived: true,
                        position,
                    }),
                }
            }
        }
        status_changes::set_positions(db, &moved).await?;
        status_changes::insert_steps(db, derived, now).await?;
    }
    Ok(())
}

/// One derived step: the status, when (if known), and the protocol behind it.
type Step = (PartnershipStatus, Option<PartialDate>, Option<i32>);

/// A step of a history being fitted together.
enum Entry<'s> {
    Recorded(&'s step::Model),
    Derived(Step),
}

impl Entry<'_> {
    fn status(&self) -> PartnershipStatus {
        match self {
            Entry::Recorded(step) => step.status.into(),
            Entry::Derived((status, _, _)) => *status,
        }
    }
}

/// The steps a partnership's dates and signed protocols imply, in date
/// order (undated last): proposed on `proposedOn`; intent signed by each
/// protocol of intentions and agreement signed by the twinning agreement
/// (only those signed up to its establishment: later agreements deepen a
/// partnership, they do not create it); active on `establishedOn`;
/// suspended or ended on `endedOn`. A protocol without `signedOn` is not
/// known to be signed and implies nothing.
fn candidates(partnership: &partnership::Model, protocols: &[&protocol::Model]) -> Vec<Step> {
    let date = |text: &Option<String>| text.as_deref().and_then(|t| t.parse::<PartialDate>().ok());
    let established = date(&partnership.established_on);
    let mut steps: Vec<Step> = Vec::new();
    if let Some(on) = date(&partnership.proposed_on) {
        steps.push((PartnershipStatus::Proposed, Some(on), None));
    }
    for protocol in protocols {
        let status = match protocol.kind {
            entity::enums::ProtocolKind::ProtocolOfIntentions => PartnershipStatus::IntentSigned,
            entity::enums::ProtocolKind::TwinningAgreement => PartnershipStatus::AgreementSigned,
            _ => continue,
        };
        let Some(signed) = date(&protocol.signed_on) else {
            continue;
        };
        let after_establishment = established.is_some_and(|e| signed.start() > e.end());
        if !after_establishment {
            steps.push((status, Some(signed), Some(protocol.id)));
        }
    }
    if let Some(on) = established {
        steps.push((PartnershipStatus::Active, Some(on), None));
    }
    if let Some(on) = date(&partnership.ended_on) {
        let status = if partnership.status == entity::enums::PartnershipStatus::Suspended {
            PartnershipStatus::Suspended
        } else {
            PartnershipStatus::Ended
        };
        steps.push((status, Some(on), None));
    }
    // Date order, lifecycle order within a day; undated steps last.
    steps.sort_by_key(|(status, on, _)| (on.is_none(), on.map(PartialDate::start), *status));
    steps
}

/// Fits derived steps around the recorded ones (which stay, in their
/// order) so that every derived step is a legal move from the one before
/// it and can still lead to the current `status`, and closes the history
/// with `status` when it does not end there yet.
fn fit(
    recorded: &[step::Model],
    candidates: Vec<Step>,
    status: PartnershipStatus,
) -> Vec<Entry<'_>> {
    let recorded_date = |s: &step::Model| s.occurred_on_start;
    let mut merged: Vec<Entry<'_>> = recorded.iter().map(Entry::Recorded).collect();
    for candidate in candidates {
        // Before the first recorded step dated after it; undated ones last.
        let at = candidate.1.map_or(merged.len(), |on| {
            merged
                .iter()
                .position(|e| matches!(e, Entry::Recorded(s) if recorded_date(s).is_some_and(|d| d > on.start())))
                .unwrap_or(merged.len())
        });
        merged.insert(at, Entry::Derived(candidate));
    }
    let mut history: Vec<Entry<'_>> = Vec::new();
    let mut dropped_final: Option<Step> = None;
    for entry in merged {
        if let Entry::Derived(step) = &entry {
            let duplicate = recorded.iter().any(|s| {
                PartnershipStatus::from(s.status) == step.0
                    && s.occurred_on == step.1.map(|d| d.to_string())
            });
            let fits = history
                .last()
                .is_none_or(|prev| allowed(prev.status(), step.0))
                && (step.0 == status || reachable(step.0, status));
            if duplicate || !fits {
                if step.0 == status && step.1.is_some() {
                    dropped_final = Some(*step);
                }
                continue;
            }
        }
        history.push(entry);
    }
    if history.last().map(Entry::status) != Some(status) {
        while let Some(Entry::Derived(last)) = history.last() {
            if last.0 == status || allowed(last.0, status) {
                break;
            }
            history.pop();
        }
        let ends = history.last().map(Entry::status) == Some(status);
        if !ends
            && history
                .last()
                .is_none_or(|prev| allowed(prev.status(), status))
        {
            let (on, protocol) = dropped_final.map_or((None, None), |(_, on, p)| (on, p));
            history.push(Entry::Derived((status, on, protocol)));
        }
    }
    history
}
