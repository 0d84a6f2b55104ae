//! One model with its parameters, whichever family it comes from, so that the CLI and the
//! service run, record and replay them the same way.

use crate::markov::{self, MarkovError};
use crate::rules::{self, RuleError, RuleModel};
use crate::shapley::{self, ShapleyError};
use crate::{Attribution, Journeys};

/// A model and its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// A rule model.
    Rule(RuleModel),
    /// Markov removal effects of this order (see [`markov::ORDERS`]).
    Markov { order: usize },
    /// Shapley values.
    Shapley(shapley::Options),
}

/// What a model credits, and what it found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub attribution: Attribution,
    pub details: Details,
}

/// The figures a model adds to its attribution.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    /// Rule models add nothing.
    Rule,
    /// The chain's figures.
    Markov {
        /// Per channel: the share of the conversion probability lost without it.
        removal_effects: Vec<f64>,
        /// Per channel: the share of the expected value lost without it.
        value_removal_effects: Vec<f64>,
        /// The probability of converting from the start.
        conversion_probability: f64,
        /// Transient states, the start included.
        states: usize,
    },
    /// How exact the values are.
    Shapley {
        /// Per channel: the bound on the error of its conversions (all zero when exact).
        error: Vec<f64>,
        /// Distinct channel sets that converted.
        sets: usize,
        /// Of those, the sets estimated by sampling.
        sampled: usize,
    },
}

impl Details {
    /// Per channel, the bound on the error of its attributed conversions, when some were
    /// sampled.
    pub fn error(&self) -> Option<&[f64]> {
        match self {
            Self::Shapley { error, sampled, .. } if *sampled > 0 => Some(error),
            _ => None,
        }
    }
}

impl Model {
    /// The model's name, as `trellis attribute --model` spells it.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Rule(RuleModel::First) => "first",
            Self::Rule(RuleModel::Last) => "last",
            Self::Rule(RuleModel::Linear) => "linear",
            Self::Rule(RuleModel::TimeDecay { .. }) => "time-decay",
            Self::Rule(RuleModel::U { .. }) => "u",
            Self::Rule(RuleModel::W { .. }) => "w",
            Self::Markov { .. } => "markov",
            Self::Shapley(_) => "shapley",
        }
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), ModelError> {
        match self {
            Self::Rule(m) => Ok(m.validate()?),
            Self::Markov { order } if !markov::ORDERS.contains(order) => {
                Err(MarkovError::Order(*order).into())
            }
            Self::Markov { .. } => Ok(()),
            Self::Shapley(o) => Ok(o.validate()?),
        }
    }

    /// Runs the model on the journeys.
    pub fn run(&self, journeys: &Journeys) -> Result<Outcome, ModelError> {
        Ok(match self {
            Self::Rule(m) => Outcome {
                attribution: rules::attribute(journeys, m)?,
                details: Details::Rule,
            },
            Self::Markov { order } => {
                let m = markov::attribute(journeys, *order)?;
                Outcome {
                    attribution: m.attribution,
                    details: Details::Markov {
                        removal_effects: m.removal_effects,
                        value_removal_effects: m.value_removal_effects,
                        conversion_probability: m.conversion_probability,
                        states: m.states,
                    },
                }
            }
            Self::Shapley(options) => {
                let s = shapley::attribute(journeys, options)?;
                Outcome {
                    attribution: s.attribution,
                    details: Details::Shapley {
                        error: s.error,
                        sets: s.sets,
                        sampled: s.sampled,
                    },
                }
            }
        })
    }
}

/// Why a model could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Markov(#[from] MarkovError),
    #[error(transparent)]
    Shapley(#[from] ShapleyError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Journey;

    fn journeys() -> Journeys {
        let mut j = Journeys::default();
        let (a, b) = (j.channel("A"), j.channel("B"));
        j.push(Journey::path(vec![a, b], 2, 300, 1));
        j.push(Journey::path(vec![b], 1, 100, 3));
        j
    }

    #[test]
    fn every_model_splits_all_the_value() {
        let j = journeys();
        for model in [
            Model::Rule(RuleModel::Linear),
            Model::Rule(RuleModel::W_DEFAULT),
            Model::Markov { order: 2 },
            Model::Shapley(shapley::Options::default()),
        ] {
            let out = model.run(&j).unwrap();
            assert_eq!(
                out.attribution.value.iter().sum::<i64>(),
                400,
                "{}",
                model.name()
            );
            assert!(out.details.error().is_none());
        }
    }

    #[test]
    fn bad_parameters_are_refused_before_running() {
        assert!(Model::Markov { order: 5 }.validate().is_err());
        assert!(
            Model::Rule(RuleModel::TimeDecay { half_life: 0.0 })
                .validate()
                .is_err()
        );
        assert!(Model::Markov { order: 3 }.validate().is_ok());
    }
}
