//! Id newtypes. Ids are UUIDv7 made in Rust, so they sort by creation time and every table can
//! page on them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            #[allow(clippy::new_without_default, reason = "a fresh id is not a default value")]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// Wraps an id read back from storage.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            /// The underlying UUID.
            pub const fn as_uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    /// An organisation: the vendor or one partner.
    OrgId,
    /// A user of either side.
    UserId,
    /// An API token or a login bearer token.
    TokenId,
    /// A browser session.
    SessionId,
    /// A pending invitation.
    InvitationId,
    /// A domain event; stable across webhook retries, so receivers can de-duplicate.
    EventId,
    /// A background job.
    JobId,
    /// A webhook endpoint.
    WebhookEndpointId,
    /// One recorded webhook delivery attempt.
    WebhookAttemptId,
    /// An application to join the partner program.
    ApplicationId,
    /// A contact person at a partner.
    ContactId,
    /// One published version of a program agreement.
    AgreementId,
    /// An onboarding checklist template.
    TemplateId,
    /// One task of a partner's onboarding checklist.
    TaskId,
    /// A vendor account (a company in the vendor's CRM).
    AccountId,
    /// A person at a vendor account.
    CrmContactId,
    /// A vendor opportunity.
    OpportunityId,
    /// One CSV import run.
    ImportId,
    /// A partner's deal registration.
    DealRegistrationId,
    /// A co-sell request between the vendor and a partner.
    CoSellRequestId,
    /// A population of one side's accounts (account mapping).
    PopulationId,
    /// The account-mapping connection between the vendor and a partner.
    MappingConnectionId,
    /// One run of account mapping on a connection.
    MappingRunId,
    /// A partner's (or a channel's) touch on a vendor opportunity or account.
    TouchpointId,
    /// One recorded run of an attribution model.
    ModelRunId,
    /// One cost of the partner program (or of the direct channel).
    CostId,
    /// A partner satisfaction survey.
    SurveyId,
    /// One sending of a survey.
    SurveyWaveId,
    /// One partner user's invitation to answer a survey's wave.
    SurveyInvitationId,
);
