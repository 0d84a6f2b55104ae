//! Partners as the program sees them: their profile vocabularies, the Ideal Partner Profile that
//! scores how well they fit, the metrics the program measures them by and the tier engine that
//! turns those metrics into a tier.
//!
//! Pure rules only: storage, notification and the clock belong to the service layer.

pub mod ipp;
pub mod metrics;
pub mod profile;
pub mod tiers;

#[cfg(test)]
mod test_de;

pub use ipp::{Attribute, AttributeKind, Contribution, Criterion, FitProfile, FitScore, Ipp, Rule};
pub use metrics::{Metric, MetricUnit, Metrics, format_value};
pub use profile::{Industry, PartnerStatus, Segment, Specialisations, TechTag, TechTagError};
pub use tiers::{
    Check, Evaluation, Ladder, Outcome, Requirement, TierCheck, TierDef, TierKey, TierOverride,
    TierPolicy, TierState, evaluate,
};

#[cfg(all(test, feature = "openapi"))]
mod openapi_tests {
    use utoipa::PartialSchema;
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    use utoipa::openapi::{ComponentsBuilder, OpenApiBuilder, RefOr};

    use super::*;

    fn is_string(schema: &RefOr<Schema>) -> bool {
        matches!(schema, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::String))
    }

    #[test]
    fn schemas_build_and_tags_are_strings() {
        assert!(is_string(&TechTag::schema()));
        assert!(is_string(&TierKey::schema()));
        let components = ComponentsBuilder::new()
            .schema("Ipp", Ipp::schema())
            .schema("FitScore", FitScore::schema())
            .schema("FitProfile", FitProfile::schema())
            .schema("Ladder", Ladder::schema())
            .schema("TierPolicy", TierPolicy::schema())
            .schema("Evaluation", Evaluation::schema())
            .schema("Metrics", Metrics::schema())
            .schema("Rule", Rule::schema())
            .schema("Outcome", Outcome::schema())
            .build();
        let json = OpenApiBuilder::new()
            .components(Some(components))
            .build()
            .to_pretty_json()
            .unwrap();
        assert!(json.contains("\"full_at\""), "{json}");
    }
}
