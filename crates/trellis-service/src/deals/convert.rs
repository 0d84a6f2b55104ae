//! Conversion: an approved registration becomes a vendor opportunity with the partner
//! attached as its source, on the matched vendor account (or a new one), owned by a rep.
//!
//! The records Trellis creates are keyed `("trellis", DR-…)`, so converting again (after a
//! failure half-way) updates them instead of duplicating them.

use trellis_domain::crm::OpportunityStatus;
use trellis_domain::deals::{DealStage, DealStatus};
use trellis_domain::{AccountId, DealRegistrationId, Permission};
use trellis_store::deals::involvement;

use super::conflicts::ConflictKind;
use super::{Registration, Step};
use trellis_domain::attribution::{TouchpointKind, TouchpointOrigin};

use crate::attribution::Capture;
use crate::crm::{Account, AccountInput, Opportunity, OpportunityInput};
use crate::platform::email::{self, EmailMessage};
use crate::{Actor, Error, Result, Services};

/// The source system of records Trellis creates itself.
const TRELLIS: &str = "trellis";

/// How to convert.
#[derive(Clone, Debug, Default)]
pub struct Conversion {
    /// The vendor account to put the opportunity on; by default the best-matching account,
    /// else a new one.
    pub account_id: Option<AccountId>,
    /// The owning rep, by e-mail or name; by default the account's owner.
    pub owner: String,
    /// The opportunity's name; by default "company – product".
    pub name: String,
}

impl Services {
    /// Converts an approved registration into an opportunity with the partner attached.
    pub async fn convert_deal(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
        version: i64,
        conversion: &Conversion,
    ) -> Result<(Registration, Opportunity)> {
        actor.require(Permission::DealsReview)?;
        let review = self.review_deal(actor, id).await?;
        let before = review.registration;
        if before.status != DealStatus::Approved {
            return Err(Error::InvalidState(
                "only an approved registration can be converted",
            ));
        }
        if before.opportunity_id.is_some() {
            return Err(Error::InvalidState(
                "this registration is already an opportunity",
            ));
        }
        if before.version != version {
            return Err(Error::StaleVersion {
                current: before.version,
            });
        }
        let matched = review
            .candidates
            .iter()
            .find(|c| c.kind == ConflictKind::Account)
            .map(|c| AccountId::from_uuid(c.id));
        let account = self
            .account_for(actor, &before, conversion, matched)
            .await?;
        let owner = if conversion.owner.trim().is_empty() {
            account.owner_name.clone()
        } else {
            conversion.owner.trim().to_owned()
        };
        let name = if conversion.name.trim().is_empty() {
            format!("{} – {}", before.company_name, before.product)
        } else {
            conversion.name.trim().to_owned()
        };
        let input = OpportunityInput {
            account_id: Some(account.id),
            name,
            stage: before.stage.label().to_owned(),
            status: Some(match before.stage {
                DealStage::Won => OpportunityStatus::Won,
                DealStage::Lost => OpportunityStatus::Lost,
                _ => OpportunityStatus::Open,
            }),
            amount: Some(before.amount),
            close_date: before.expected_close.clone(),
            // The deal opened when the partner registered it.
            opened_on: before.created_at.date(),
            owner,
            next_step: before.next_step.clone(),
            last_activity_at: Some(self.now()),
            ..OpportunityInput::default()
        };
        let (opportunity, _) = self
            .put_opportunity(actor, TRELLIS, &before.reference, None, &input)
            .await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        involvement::attach(
            &mut tx.exec(),
            opportunity.id.as_uuid(),
            before.partner_id.as_uuid(),
            "sourced",
            Some(before.id.as_uuid()),
            now.millis(),
        )
        .await?;
        self.capture_sourced(&mut tx, actor, &before, &opportunity)
            .await?;
        let opportunity_id = opportunity.id.as_uuid();
        let step = Step {
            name: "converted",
            event: "deal.converted",
            rule: None,
            policy_version: None,
            reason: format!("opportunity \"{}\" on {}", opportunity.name, account.name),
        };
        let after = self
            .change_in(
                &mut tx,
                actor,
                &before,
                version,
                now,
                |row| row.opportunity_id = Some(opportunity_id),
                step,
            )
            .await?;
        self.tell_owner(&mut tx, &after, &opportunity, now).await?;
        tx.commit().await?;
        Ok((after, opportunity))
    }

    /// The registration is the partner's sourced touch on the opportunity, made when the
    /// partner registered the deal.
    async fn capture_sourced(
        &self,
        tx: &mut trellis_store::Tx,
        actor: &Actor,
        before: &Registration,
        opportunity: &Opportunity,
    ) -> Result<()> {
        let submitter = trellis_store::platform::users::find(
            &mut tx.exec(),
            before.submitted_by.as_uuid(),
            None,
        )
        .await?
        .map_or_else(|| before.partner_name.clone(), |u| u.name);
        self.capture_touchpoint(
            tx,
            actor,
            Capture {
                opportunity_id: opportunity.id,
                account_id: opportunity.account_id,
                partner_id: before.partner_id,
                kind: TouchpointKind::Sourced,
                occurred_at: before.created_at,
                actor_id: Some(before.submitted_by),
                actor_label: submitter,
                origin: TouchpointOrigin::Registration,
                source_id: before.id.as_uuid(),
            },
        )
        .await
    }

    /// Tells the opportunity's owner that a partner-sourced deal is now theirs.
    async fn tell_owner(
        &self,
        tx: &mut trellis_store::Tx,
        after: &Registration,
        opportunity: &Opportunity,
        now: trellis_domain::Timestamp,
    ) -> Result<()> {
        if let Some(owner) = opportunity.owner_id
            && let Some(to) =
                trellis_store::platform::users::active_email(&mut tx.exec(), owner.as_uuid())
                    .await?
        {
            let msg = EmailMessage {
                to,
                subject: format!("Partner-sourced opportunity: {}", opportunity.name),
                body: format!(
                    "{} registered {} and it is now your opportunity, with {} attached as \
                         the source.\n\n{}\n",
                    after.partner_name,
                    after.company_name,
                    after.partner_name,
                    self.config()
                        .link(&format!("/console/opportunities/{}", opportunity.id)),
                ),
            };
            email::queue(tx, &msg, now, self.config().job_max_attempts).await?;
        }
        Ok(())
    }

    /// The account a conversion puts the opportunity on: the one chosen, else the best
    /// match, else a new one keyed by the registration.
    async fn account_for(
        &self,
        actor: &Actor,
        registration: &Registration,
        conversion: &Conversion,
        matched: Option<AccountId>,
    ) -> Result<Account> {
        if let Some(id) = conversion.account_id.or(matched) {
            return self.get_account(&Actor::System, id).await;
        }
        let input = AccountInput {
            name: registration.company_name.clone(),
            website: registration.website.clone(),
            country: registration.country.clone(),
            account_type: "Prospect".into(),
            owner: conversion.owner.clone(),
            ..AccountInput::default()
        };
        Ok(self
            .put_account(actor, TRELLIS, &registration.reference, None, &input)
            .await?
            .0)
    }
}
