//! `recordVisit` and `signProtocol`: the two actions that grow a
//! partnership's timeline. Each attaches its record to the partnership
//! between its cities when the client does not name one, refuses a
//! partnership between other cities, and `signProtocol` can take the
//! partnership's lifecycle step in the same transaction.

use super::UserError;
use super::advance::{AdvancePartnershipInput, advance_in};
use super::create_update::{VisitPayload, Write, check_and_lock, import_in};
use crate::domain::access::Role;
use crate::domain::vocabulary::PartnershipStatus;
use crate::error::Result;
use crate::graphql::guards::RoleGuard;
use crate::graphql::types::partnership::{Partnership, StatusChange};
use crate::graphql::types::protocol::Protocol;
use crate::graphql::types::visit::Visit;
use crate::graphql::{by_key, db};
use crate::interchange::document::{self as doc, Document};
use crate::interchange::{Kind, ProblemCode};
use crate::store::Txn;
use crate::store::{partnership_pairs, status_changes};
use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

/// A delegation visit to record.
#[derive(InputObject)]
pub struct RecordVisitInput {
    /// The visit. Leave `partnership` out to attach it to the partnership
    /// between its two cities, when they have exactly one.
    pub visit: doc::Visit,
}

/// A signed protocol to record, and the lifecycle step it makes.
#[derive(InputObject)]
pub struct SignProtocolInput {
    /// The protocol. Leave `partnership` out to attach it to the
    /// partnership between its two parties, when they have exactly one.
    pub protocol: doc::Protocol,
    /// Moves the protocol's partnership to this status on the protocol's
    /// `signedOn`, with the protocol as evidence, in the same transaction:
    /// if the step is refused, the protocol is not recorded either.
    pub advance_partnership_to: Option<PartnershipStatus>,
    /// The partnership's `updatedAt` as you read it, for the step.
    pub expected_partnership_updated_at: Option<DateTime<Utc>>,
}

/// The result of `signProtocol`.
#[derive(SimpleObject)]
pub struct SignProtocolPayload {
    /// The protocol as stored; null when refused.
    pub protocol: Option<Protocol>,
    /// The partnership after the step, when one was taken.
    pub partnership: Option<Partnership>,
    /// The recorded step, when one was taken.
    pub status_change: Option<StatusChange>,
    /// Why it was refused, each with the input field at fault.
    pub user_errors: Vec<UserError>,
}

/// Fills in the partnership between two cities when there is exactly one,
/// or checks that the named one is between them. A user error at `field`
/// if the choice is ambiguous or wrong; an unknown key is left for the
/// import to report.
async fn partnership_between(
    txn: &Txn,
    cities: [&str; 2],
    partnership: &mut Option<String>,
    field: &[&str],
) -> Result<Option<UserError>> {
    let what = format!("{:?} and {:?}", cities[0], cities[1]);
    if let Some(key) = partnership.as_deref() {
        let found = partnership_pairs::find_pair_by_key(txn, key).await?;
        return Ok(found
            .filter(|pair| {
                let mut theirs = pair.cities.clone();
                let mut ours = cities.map(str::to_owned);
                theirs.sort();
                ours.sort();
                theirs != ours
            })
            .map(|pair| {
                UserError::new(
                    field,
                    ProblemCode::InvalidValue,
                    format!(
                        "partnership {:?} is between {:?} and {:?}, not {what}",
                        pair.key, pair.cities[0], pair.cities[1]
                    ),
                )
            }));
    }
    let found = partnership_pairs::find_pairs_between(txn, cities).await?;
    Ok(match found.as_slice() {
        [] => None,
        [only] => {
            *partnership = Some(only.key.clone());
            None
        }
        several => Some(UserError::new(
            field,
            ProblemCode::InvalidValue,
            format!(
                "{what} have {} partnerships ({}): name one",
                several.len(),
                several
                    .iter()
                    .map(|p| p.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    })
}

#[derive(Default)]
pub struct TimelineMutation;

#[Object]
impl TimelineMutation {
    /// Records a delegation visit, attached to the partnership between its
    /// two cities (inferred when they have exactly one). `DUPLICATE_KEY` if
    /// the key is taken; `INVALID_VALUE` on `partnership` if it is between
    /// other cities or ambiguous.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn record_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; see the input type.")] input: RecordVisitInput,
    ) -> Result<VisitPayload> {
        let mut visit = input.visit;
        let key = visit.key.clone();
        let root = ["input", "visit"];
        let txn = crate::store::connection::begin_write(db(ctx)).await?;
        let mut errors: Vec<UserError> =
            check_and_lock(&txn, Kind::Visit, &key, &Write::Create, &root)
                .await?
                .into_iter()
                .collect();
        let cities = [visit.from_city.as_str(), visit.to_city.as_str()];
        let mut partnership = visit.partnership.clone();
        errors.extend(
            partnership_between(
                &txn,
                cities,
                &mut partnership,
                &["input", "visit", "partnership"],
            )
            .await?,
        );
        visit.partnership = partnership;
        if errors.is_empty() {
            let document = Document {
                visits: vec![visit],
                ..Document::default()
            };
            match import_in(&txn, &document, &root).await? {
                Ok(changes) => {
                    super::commit(ctx, txn, "recordVisit", &changes).await?;
                    let visit = by_key::<entity::visit::Model>(ctx, key).await?.map(Visit);
                    return Ok(VisitPayload {
                        visit,
                        user_errors: Vec::new(),
                    });
                }
                Err(problems) => errors = problems,
            }
        }
        txn.rollback().await?;
        Ok(VisitPayload {
            visit: None,
            user_errors: errors,
        })
    }

    /// Records a signed protocol, attached to the partnership between its
    /// two parties (inferred when they have exactly one), and with
    /// `advancePartnershipTo` moves that partnership along its lifecycle on
    /// the signing date, all in one transaction.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn sign_protocol(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; see the input type.")] input: SignProtocolInput,
    ) -> Result<SignProtocolPayload> {
        let mut protocol = input.protocol;
        let key = protocol.key.clone();
        let root = ["input", "protocol"];
        let txn = crate::store::connection::begin_write(db(ctx)).await?;
        let mut errors: Vec<UserError> =
            check_and_lock(&txn, Kind::Protocol, &key, &Write::Create, &root)
                .await?
                .into_iter()
                .collect();
        if let [a, b] = protocol.parties.as_slice() {
            let mut partnership = protocol.partnership.clone();
            errors.extend(
                partnership_between(
                    &txn,
                    [a.as_str(), b.as_str()],
                    &mut partnership,
                    &["input", "protocol", "partnership"],
                )
                .await?,
            );
            protocol.partnership = partnership;
        }
        let step = match input.advance_partnership_to {
            None => None,
            Some(status) => match (&protocol.partnership, protocol.signed_on) {
                (Some(partnership), Some(on)) => Some(AdvancePartnershipInput {
                    partnership: partnership.clone(),
                    status,
                    on,
                    protocol: Some(key.clone()),
                    source: protocol.sources.first().cloned(),
                    city: None,
                    note: None,
                    expected_updated_at: input.expected_partnership_updated_at,
                }),
                (None, _) => {
                    errors.push(UserError::new(
                        &["input", "protocol", "partnership"],
                        ProblemCode::InvalidValue,
                        "name the partnership whose status the protocol advances",
                    ));
                    None
                }
                (_, None) => {
                    errors.push(UserError::new(
                        &["input", "protocol", "signedOn"],
                        ProblemCode::InvalidDate,
                        "a protocol that advances a partnership needs its signing date",
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            let document = Document {
                protocols: vec![protocol],
                ..Document::default()
            };
            match import_in(&txn, &document, &root).await? {
                Ok(mut changes) => {
                    let path = |field: &str| -> Vec<String> {
                        let at: &[&str] = match field {
                            "status" => &["input", "advancePartnershipTo"],
                            "expectedUpdatedAt" => &["input", "expectedPartnershipUpdatedAt"],
                            "on" => &["input", "protocol", "signedOn"],
                            "partnership" => &["input", "protocol", "partnership"],
                            "source" => &["input", "protocol", "sources"],
                            _ => &["input", "protocol"],
                        };
                        at.iter().map(|s| (*s).to_owned()).collect()
                    };
                    let advanced = match step {
                        Some(step) => match advance_in(&txn, step, &path).await? {
                            Ok(step) => Some(step),
                            Err(refused) => {
                                txn.rollback().await?;
                                return Ok(SignProtocolPayload {
                                    protocol: None,
                                    partnership: None,
                                    status_change: None,
                                    user_errors: refused,
                                });
                            }
                        },
                        None => None,
                    };
                    if let Some(step) = &advanced {
                        // The recorded step replaces the one import derived
                        // from the same protocol.
                        if let Some(protocol_id) = step.recorded.protocol_id {
                            status_changes::delete_derived_of_protocol(&txn, protocol_id).await?;
                        }
                        changes.push(step.change.clone());
                    }
                    super::commit(ctx, txn, "signProtocol", &changes).await?;
                    let protocol = by_key::<entity::protocol::Model>(ctx, key)
                        .await?
                        .map(Protocol);
                    let (partnership, status_change) = match advanced {
                        Some(step) => (
                            Some(Partnership(step.partnership)),
                            Some(StatusChange(step.recorded)),
                        ),
                        None => (None, None),
                    };
                    return Ok(SignProtocolPayload {
                        protocol,
                        partnership,
                        status_change,
                        user_errors: Vec::new(),
                    });
                }
                Err(problems) => errors = problems,
            }
        }
        txn.rollback().await?;
        Ok(SignProtocolPayload {
            protocol: None,
            partnership: None,
            status_change: None,
            user_errors: errors,
        })
    }
}
