//! The status history that a partnership's own dates and its protocols imply.
//!
//! The interchange format carries a partnership's current status and the
//! dates of its stages, not its history; import turns those into dated steps
//! (marked `derived`) so that every partnership has a history to show. Steps
//! recorded through the API are not derived and survive re-imports.

use crate::domain::partial_date::PartialDate;
use crate::store::status_changes::{self, DerivedStep};
use crate::store::{CHUNK, batched};
use entity::enums::{PartnershipStatus, ProtocolKind};
use entity::{partnership, protocol};
use sea_orm::{ConnectionTrait, DbErr, prelude::DateTimeUtc};

/// Replaces the derived steps of the given partnerships.
pub async fn rebuild_derived(
    db: &impl ConnectionTrait,
    partnership_ids: &[i32],
    now: DateTimeUtc,
) -> Result<(), DbErr> {
    for ids in partnership_ids.chunks(CHUNK) {
        status_changes::delete_derived(db, ids).await?;
        let partnerships = batched::find_by_ids::<partnership::Model>(db, ids).await?;
        let protocols = status_changes::find_protocols_of(db, ids).await?;
        // A protocol whose step was recorded through the API (`signProtocol`)
        // needs no derived one.
        let recorded = status_changes::find_recorded_protocol_ids(db, ids).await?;
        let mut steps = Vec::new();
        for partnership in &partnerships {
            let own: Vec<&protocol::Model> = protocols
                .iter()
                .filter(|p| p.partnership_id == Some(partnership.id) && !recorded.contains(&p.id))
                .collect();
            steps.extend(derive_steps(partnership, &own).into_iter().map(
                |(status, on, protocol_id)| DerivedStep {
                    partnership_id: partnership.id,
                    status,
                    on,
                    protocol_id,
                },
            ));
        }
        status_changes::insert_derived(db, &steps, now).await?;
    }
    Ok(())
}

/// One derived step: the status, when (if known), and the protocol behind it.
type Step = (PartnershipStatus, Option<PartialDate>, Option<i32>);

/// The steps a partnership's dates and protocols imply, in date order:
/// proposed on `proposedOn`; intent signed by each protocol of intentions
/// and agreement signed by the twinning agreement (only those signed up to
/// its establishment: later agreements deepen a partnership, they do not
/// create it); active on `establishedOn`; suspended or ended on `endedOn`.
/// If the last step is not the current status, the current status closes
/// the history, undated.
fn derive_steps(partnership: &partnership::Model, protocols: &[&protocol::Model]) -> Vec<Step> {
    let date = |text: &Option<String>| text.as_deref().and_then(|t| t.parse::<PartialDate>().ok());
    let established = date(&partnership.established_on);
    let mut steps: Vec<Step> = Vec::new();
    if let Some(on) = date(&partnership.proposed_on) {
        steps.push((PartnershipStatus::Proposed, Some(on), None));
    }
    for protocol in protocols {
        let status = match protocol.kind {
            ProtocolKind::ProtocolOfIntentions => PartnershipStatus::IntentSigned,
            ProtocolKind::TwinningAgreement => PartnershipStatus::AgreementSigned,
            _ => continue,
        };
        let signed = date(&protocol.signed_on);
        let after_establishment =
            matches!((signed, established), (Some(s), Some(e)) if s.start() > e.end());
        if !after_establishment {
            steps.push((status, signed, Some(protocol.id)));
        }
    }
    if let Some(on) = established {
        steps.push((PartnershipStatus::Active, Some(on), None));
    }
    if let Some(on) = date(&partnership.ended_on) {
        let status = if partnership.status == PartnershipStatus::Suspended {
            PartnershipStatus::Suspended
        } else {
            PartnershipStatus::Ended
        };
        steps.push((status, Some(on), None));
    }
    // Date order, lifecycle order within a day; undated steps last.
    steps.sort_by_key(|(status, on, _)| (on.is_none(), on.map(PartialDate::start), *status));
    if steps.last().map(|(status, _, _)| *status) != Some(partnership.status) {
        steps.push((partnership.status, None, None));
    }
    steps
}
