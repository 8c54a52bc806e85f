//! Plans: limits and feature gates, from configuration, defaulting to the seed's table.

use serde::{Deserialize, Serialize};

use crate::error::GatewayError;

/// One plan's limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The plan's name as stored on accounts, e.g. `standard`.
    pub name: String,
    /// Messages per UTC calendar month (one per send request).
    pub messages_per_month: u64,
    /// Sessions in non-archived locations.
    pub sessions: u32,
    /// Sends per minute.
    pub sends_per_minute: u32,
    /// Whether history, attachments and group endpoints are included.
    pub history_groups_attachments: bool,
}

impl Plan {
    fn new(name: &str, messages: u64, sessions: u32, per_minute: u32, premium: bool) -> Plan {
        Plan {
            name: name.to_owned(),
            messages_per_month: messages,
            sessions,
            sends_per_minute: per_minute,
            history_groups_attachments: premium,
        }
    }

    /// Refuses with 403 `plan_upgrade_required` unless the plan includes history, groups and attachments.
    pub fn require_premium(&self, feature: &str) -> Result<(), GatewayError> {
        if self.history_groups_attachments {
            Ok(())
        } else {
            Err(GatewayError::PlanUpgradeRequired {
                feature: feature.to_owned(),
                plan: self.name.clone(),
            })
        }
    }
}

/// The plans an operator offers, and which one new accounts get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCatalog {
    plans: Vec<Plan>,
    default_plan: String,
}

impl PlanCatalog {
    /// The seed's five plans; new accounts get `free_trial`.
    pub fn seed_defaults() -> PlanCatalog {
        PlanCatalog {
            plans: vec![
                Plan::new("free_trial", 50, 1, 5, false),
                Plan::new("lite", 3_000, 1, 10, false),
                Plan::new("standard", 9_000, 2, 30, true),
                Plan::new("advanced", 40_000, 10, 100, true),
                Plan::new("enterprise", 200_000, 50, 300, true),
            ],
            default_plan: "free_trial".to_owned(),
        }
    }

    /// A catalog from configuration; `default_plan` must be one of `plans`, names must be unique.
    pub fn new(plans: Vec<Plan>, default_plan: &str) -> Result<PlanCatalog, GatewayError> {
        for (index, plan) in plans.iter().enumerate() {
            if plan.name.is_empty() || plans[..index].iter().any(|earlier| earlier.name == plan.name) {
                return Err(GatewayError::invalid(
                    "plans",
                    format!("plan name {:?} is empty or repeated", plan.name),
                ));
            }
        }
        if !plans.iter().any(|plan| plan.name == default_plan) {
            return Err(GatewayError::invalid(
                "defaultPlan",
                format!("no plan named {default_plan:?}"),
            ));
        }
        Ok(PlanCatalog {
            plans,
            default_plan: default_plan.to_owned(),
        })
    }

    /// The plan named `name`. An account whose plan was removed from the configuration falls back to the
    /// most restrictive plan (the first one), so a typo never grants more.
    pub fn get(&self, name: &str) -> &Plan {
        self.plans
            .iter()
            .find(|plan| plan.name == name)
            .unwrap_or(&self.plans[0])
    }

    /// Whether `name` is a configured plan.
    pub fn contains(&self, name: &str) -> bool {
        self.plans.iter().any(|plan| plan.name == name)
    }

    /// The plan new accounts get.
    pub fn default_plan(&self) -> &Plan {
        self.get(&self.default_plan)
    }

    /// All plans, in configuration order.
    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }
}

impl Default for PlanCatalog {
    fn default() -> Self {
        PlanCatalog::seed_defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_defaults_match_the_seed_table() {
        let catalog = PlanCatalog::seed_defaults();
        let standard = catalog.get("standard");
        assert_eq!(
            (
                standard.messages_per_month,
                standard.sessions,
                standard.sends_per_minute
            ),
            (9_000, 2, 30)
        );
        assert!(standard.require_premium("history").is_ok());
        let lite = catalog.get("lite");
        assert_eq!(
            lite.require_premium("history").unwrap_err().code(),
            "plan_upgrade_required"
        );
        assert_eq!(catalog.default_plan().name, "free_trial");
        assert_eq!(catalog.get("no-such-plan").name, "free_trial");
        assert_eq!(catalog.get("enterprise").messages_per_month, 200_000);
    }

    #[test]
    fn configured_catalog_is_checked() {
        let plans = vec![Plan::new("a", 1, 1, 1, false)];
        assert!(PlanCatalog::new(plans.clone(), "b").is_err());
        assert!(PlanCatalog::new(vec![plans[0].clone(), plans[0].clone()], "a").is_err());
        assert_eq!(PlanCatalog::new(plans, "a").unwrap().default_plan().name, "a");
    }
}
