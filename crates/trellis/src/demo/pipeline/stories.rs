//! The demo's deal registrations as a script: who registered which customer when, and what
//! happened to each registration afterwards. Times are hours before now; together the stories
//! leave a registration in every state at "now", each with a trail that explains it.

use trellis_domain::deals::DealStage;
use trellis_domain::deals::DealStage::{Negotiation, Proposal, Qualified};

use self::Act::{
    Approve, AskExtension, Convert, Dispute, Extend, Reject, Resolve, Settle, Update, Withdraw,
};
use self::Customer::{ActiveProspect, HouseAccount, New, QuietProspect};

/// `n` days, in hours.
const fn d(n: u32) -> u32 {
    n * 24
}

/// A customer the vendor's CRM does not know: (country, name without legal form, legal
/// form, industry).
pub(super) type NewCustomer = (&'static str, &'static str, usize, usize);

/// The customers partners find themselves.
#[rustfmt::skip]
pub(super) const NEW_CUSTOMERS: [NewCustomer; 24] = [
    ("DE", "Falkenau Präzisionstechnik", 0, 0),
    ("GB", "Pryce & Dunmore", 0, 2),
    ("US", "Prairie Hollow Foods", 0, 7),
    ("US", "Osprey Lane Health", 1, 1),
    ("US", "Quillfeather Analytics", 0, 4),
    ("DE", "Elbauen Logistik", 2, 6),
    ("IE", "Ballyvourney Foods", 0, 7),
    ("IN", "Godavari Agritech", 0, 7),
    ("US", "Larkspur Veterinary", 1, 1),
    ("CA", "Okanagan Orchards", 0, 7),
    ("AU", "Mallee Grain", 0, 7),
    ("ES", "Tramuntana Hoteles", 1, 3),
    ("BR", "Pantanal Agro", 0, 7),
    ("US", "Saltmarsh Freight", 0, 6),
    ("DE", "Sonnhalde Energie", 1, 5),
    ("GB", "Wrekin Precision", 0, 0),
    ("IE", "Connemara Data", 1, 4),
    ("IN", "Malabar Spice Exports", 0, 7),
    ("ES", "Albufera Renovables", 1, 5),
    ("US", "Bitterroot Outfitters", 0, 3),
    ("US", "Cumberland Dental Partners", 1, 1),
    ("AT", "Tauernblick Seilbahnen", 0, 6),
    ("US", "Ridgeback Security", 2, 4),
    ("DE", "Moselhang Kellerei", 0, 7),
];

/// Which customer a story is about.
#[derive(Clone, Copy, Debug)]
pub(super) enum Customer {
    /// One of [`NEW_CUSTOMERS`].
    New(usize),
    /// A vendor customer since before the program, in this country.
    HouseAccount(&'static str),
    /// A vendor prospect with no opportunity, in this country.
    QuietProspect(&'static str),
    /// A vendor prospect whose open opportunity the rep worked in the last weeks.
    ActiveProspect(&'static str),
}

/// How the partner writes the customer down.
#[derive(Clone, Copy, Debug)]
pub(super) enum Spelling {
    /// The registered name and the full web address.
    Full,
    /// What people call it, and the site without a scheme.
    Short,
}

/// What happens to a registration.
#[derive(Clone, Copy, Debug)]
pub(super) enum Act {
    /// The channel manager approves, with a note.
    Approve(&'static str),
    /// The channel manager rejects, with the reason.
    Reject(&'static str),
    /// The channel manager lets the rules of engagement decide.
    Resolve,
    /// The partner moves the deal on.
    Update(DealStage, &'static str),
    /// The channel manager turns it into an opportunity for the region's rep.
    Convert,
    /// The partner takes it back.
    Withdraw(&'static str),
    /// The partner disputes the rejection.
    Dispute(&'static str),
    /// The channel manager settles the dispute: overturned (approved) or upheld.
    Settle(bool, &'static str),
    /// The partner asks for more protection.
    AskExtension(&'static str),
    /// The channel manager grants it.
    Extend,
}

/// One registration's story.
#[derive(Debug)]
pub(super) struct Story {
    /// The partner's slug.
    pub partner: &'static str,
    /// Registered by the partner's seller (else its admin).
    pub seller: bool,
    pub customer: Customer,
    pub spelling: Spelling,
    /// Index into the CRM's products.
    pub product: usize,
    /// In major units of the customer's currency.
    pub amount: i64,
    /// Hours ago.
    pub at: u32,
    /// Days from registration to the expected close.
    pub close_in: u32,
    pub stage: DealStage,
    pub next_step: &'static str,
    /// What happened next: (hours ago, act).
    pub acts: &'static [(u32, Act)],
}

const fn story(
    partner: &'static str,
    seller: bool,
    customer: Customer,
    at: u32,
    acts: &'static [(u32, Act)],
) -> Story {
    Story {
        partner,
        seller,
        customer,
        spelling: Spelling::Full,
        product: 0,
        amount: 50_000,
        at,
        close_in: 90,
        stage: DealStage::Discovery,
        next_step: "",
        acts,
    }
}

impl Story {
    const fn deal(mut self, product: usize, amount: i64, close_in: u32) -> Self {
        self.product = product;
        self.amount = amount;
        self.close_in = close_in;
        self
    }

    const fn stage(mut self, stage: DealStage, next_step: &'static str) -> Self {
        self.stage = stage;
        self.next_step = next_step;
        self
    }

    const fn short(mut self) -> Self {
        self.spelling = Spelling::Short;
        self
    }
}

const NORTHWIND: &str = "northwind-systems";
const KESTREL: &str = "kestrel-it";
const MERIDIAN: &str = "meridian-distribution";
const HARBOR: &str = "harbor-managed-services";
const GRANITE: &str = "granite-consulting-group";
const RHINEGATE: &str = "rhinegate-managed-cloud";
const CARRICK: &str = "carrick-digital-engineering";
const MONSOON: &str = "monsoon-systems-integrators";
const CASCADIA: &str = "cascadia-tech-partners";
const IBERIA: &str = "iberia-tech-wholesale";
const SAMBA: &str = "samba-payments";
const YARRA: &str = "yarra-cloud-commerce";

/// When the rules of engagement get their second version.
pub(super) const POLICY_V2_AT: u32 = d(120);
/// When the first Salesforce exports were imported (days ago).
pub(super) const FIRST_EXPORT: u32 = 190;
/// When the latest Salesforce exports were imported (days ago). Steps run up to three and a
/// half hours earlier than scripted, so a story that needs the latest CRM data starts four
/// hours later.
pub(super) const LATEST_EXPORT: u32 = 1;

/// The script. Under the first policy version (before [`POLICY_V2_AT`]) nothing is approved
/// without review; under the second, Gold and Platinum partners' deals up to USD 100,000 with
/// no conflict are.
#[rustfmt::skip]
pub(super) const STORIES: [Story; 31] = [
    // Protection that ran out: approved, never closed, expired by the sweep.
    story(NORTHWIND, true, New(0), d(172), &[
        (d(171) - 3, Approve("First registration for this customer; a good fit for the platform")),
        (d(150), Update(Proposal, "Quote sent; waiting for the customer's budget round")),
    ]).deal(0, 180_000, 120).stage(Qualified, "Site visit with the plant IT team"),
    story(KESTREL, false, New(1), d(165), &[
        (d(164), Approve("")),
        (d(120), Withdraw("The customer extended its current contract for another year")),
    ]).deal(3, 64_000, 90),
    story(MERIDIAN, true, New(2), d(160), &[(d(159), Approve(""))]).deal(1, 95_000, 100),
    // A rejection overturned on dispute, which later expired.
    story(HARBOR, true, New(3), d(150), &[
        (d(149), Reject("We are already in a direct RFP with the customer's parent company")),
        (d(147), Dispute("Osprey Lane's clinics run their own IT; the parent's RFP covers only its hospitals")),
        (d(145), Settle(true, "Confirmed with the account team: a separate business unit with its own budget")),
    ]).deal(0, 140_000, 120),
    story(NORTHWIND, true, New(23), d(140), &[
        (d(139), Approve("")),
        (d(130), Withdraw("The customer paused the project after a change of management")),
    ]).deal(4, 30_000, 60),
    story(SAMBA, true, New(12), d(118), &[(d(117), Approve(""))]).deal(1, 55_000, 90),
    story(GRANITE, true, New(4), d(110), &[
        (d(80), Update(Negotiation, "Redlines on the order form")),
    ]).deal(2, 85_000, 75),
    story(IBERIA, true, New(11), d(100), &[(d(99), Approve(""))]).deal(0, 75_000, 90),
    // An extension granted after the expiry warning.
    story(RHINEGATE, true, New(5), d(104), &[
        (d(103), Approve("Strong logistics reference for the region")),
        (d(40), Update(Negotiation, "Works council review of the rollout plan")),
        (d(25), AskExtension("The works council's approval moved the signature into next quarter")),
        (d(24), Extend),
    ]).deal(0, 210_000, 110),
    // Protection ending soon: one partner has asked for more time, one not yet.
    story(CARRICK, true, New(6), d(83), &[
        (d(82), Approve("")),
        (d(3), AskExtension("The customer's board meets on the 12th to sign; we need four more weeks")),
    ]).deal(1, 120_000, 95).stage(Proposal, "Commercial proposal with the CFO"),
    story(MONSOON, true, New(7), d(85), &[(d(84), Approve(""))]).deal(2, 60_000, 100),
    // Approved and converted into opportunities with the partner attached.
    story(MERIDIAN, true, New(8), d(75), &[
        (d(60), Update(Proposal, "Proposal accepted in principle; procurement next")),
        (d(55), Convert),
    ]).deal(3, 70_000, 80),
    story(HARBOR, true, QuietProspect("US"), d(52), &[
        (d(51), Approve("Known prospect with no open opportunity: the partner leads")),
        (d(40), Convert),
    ]).deal(0, 150_000, 120).short(),
    story(NORTHWIND, false, QuietProspect("DE"), d(46), &[
        (d(45), Approve("")),
        (d(36), Update(Proposal, "Proposal presented to the board")),
        (d(35), Convert),
    ]).deal(1, 95_000, 90).short(),
    // Withdrawn before a decision (overdue by then).
    story(CASCADIA, true, New(9), d(70), &[
        (d(50), Withdraw("The customer postponed the project to its next fiscal year")),
    ]).deal(2, 30_000, 120),
    // House accounts: the rules reject registrations for existing customers.
    story(NORTHWIND, false, HouseAccount("DE"), d(60), &[(d(59), Resolve)]).deal(3, 90_000, 90).short(),
    // Two partners, one customer: the rules decide both; the loser's dispute is upheld.
    story(MERIDIAN, true, New(13), d(40), &[
        (d(10), Update(Negotiation, "Final pricing call with the CFO")),
    ]).deal(0, 240_000, 150),
    story(HARBOR, false, New(13), d(39), &[
        (d(39) - 20, Resolve),
        (d(37), Dispute("We introduced Saltmarsh to Lumen at the Chicago roadshow and ran the first workshop")),
        (d(35), Settle(false, "Meridian registered first and is protected; we have asked Meridian to co-sell with you")),
    ]).deal(0, 180_000, 150).short(),
    story(MERIDIAN, false, New(22), d(25), &[
        (d(24), Withdraw("Registered under the wrong entity: the deal is with the parent company")),
    ]).deal(0, 320_000, 120),
    story(NORTHWIND, true, New(21), d(19), &[
        (d(18), Approve("Good fit; no conflict")),
        (d(6), Update(Qualified, "Technical workshop booked with the operations team")),
    ]).deal(2, 64_000, 100),
    story(YARRA, true, New(10), d(14), &[
        (d(13), Reject("Please register again once you have met the customer: the contact named has not heard of the project")),
    ]).deal(1, 45_000, 90),
    // Approved at once by the rules (Gold and Platinum, up to USD 100,000, no conflict).
    story(GRANITE, false, New(19), d(12), &[]).deal(4, 45_000, 60),
    story(HARBOR, true, New(20), d(8), &[]).deal(3, 98_000, 75),
    // Rejected as a house account; the partner disputes and waits for the settlement.
    story(KESTREL, true, HouseAccount("GB"), d(5), &[
        (d(4), Resolve),
        (d(2), Dispute("This is a new subsidiary with its own IT budget; your account is the group's retail arm")),
    ]).deal(0, 90_000, 120).short(),
    // Rejected: the rep's own opportunity with this customer is active.
    story(GRANITE, true, ActiveProspect("US"), 20, &[(5, Resolve)]).deal(1, 60_000, 90).short(),
    // Waiting for review: overdue (escalated by the sweep), within the SLA, and a conflict
    // between two partners for the channel manager to settle.
    story(MONSOON, true, New(17), d(4), &[]).deal(1, 80_000, 120),
    story(IBERIA, true, New(18), d(3) + 12, &[]).deal(2, 52_000, 100),
    story(RHINEGATE, true, New(14), 31, &[]).deal(0, 130_000, 140),
    story(NORTHWIND, true, New(14), 10, &[]).deal(1, 110_000, 120).short()
        .stage(Qualified, "Energy trading team wants a proof of concept"),
    story(KESTREL, true, New(15), 6, &[]).deal(2, 48_000, 90),
    story(CARRICK, false, New(16), 20, &[]).deal(0, 135_000, 150),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_act_comes_after_its_registration_in_order_whatever_the_jitter() {
        // Steps run up to three and a half hours early, so four hours apart keeps the order.
        for s in &STORIES {
            let mut last = s.at;
            for (at, act) in s.acts {
                assert!(*at + 4 <= last, "{} {act:?}", s.partner);
                last = *at;
            }
            if matches!(s.customer, Customer::ActiveProspect(_)) {
                assert!(s.at + 4 <= LATEST_EXPORT * 24, "{}", s.partner);
            }
        }
        let partners: std::collections::HashSet<_> = STORIES.iter().map(|s| s.partner).collect();
        assert!(partners.len() >= 10);
        let used: std::collections::HashSet<_> = STORIES
            .iter()
            .filter_map(|s| match s.customer {
                Customer::New(i) => Some(i),
                _ => None,
            })
            .collect();
        assert_eq!(
            used.len(),
            NEW_CUSTOMERS.len(),
            "every new customer is used"
        );
        for (code, brand, form, industry) in NEW_CUSTOMERS {
            let country = super::super::companies::country(code).unwrap();
            let c = super::super::companies::Company::new(country, brand, form, industry);
            assert_eq!(
                trellis_match::domain::website_domain(&c.domain).as_deref(),
                Some(c.domain.as_str())
            );
        }
    }
}
