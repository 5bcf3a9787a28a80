//! Label selectors (`matchLabels`, `matchExpressions`) as the API machinery
//! evaluates them, for `aggregationRule.clusterRoleSelectors`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

/// Whether `labels` satisfy `selector`. All `matchLabels` and all
/// `matchExpressions` must hold; an empty selector matches everything. An
/// invalid expression (unknown operator, `In`/`NotIn` without values, values
/// with `Exists`/`DoesNotExist`) makes the selector match nothing, as the API
/// server would refuse to convert it.
pub fn matches(selector: &LabelSelector, labels: Option<&BTreeMap<String, String>>) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    let labels_ok = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    labels_ok
        && selector
            .match_expressions
            .iter()
            .flatten()
            .all(|e| expression_matches(e, labels))
}

fn expression_matches(e: &LabelSelectorRequirement, labels: &BTreeMap<String, String>) -> bool {
    let values = e.values.as_deref().unwrap_or(&[]);
    let value = labels.get(&e.key);
    match e.operator.as_str() {
        "In" => !values.is_empty() && value.is_some_and(|v| values.contains(v)),
        "NotIn" => !values.is_empty() && value.is_none_or(|v| !values.contains(v)),
        "Exists" => values.is_empty() && value.is_some(),
        "DoesNotExist" => values.is_empty() && value.is_none(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn match_labels_require_every_pair() {
        let s = LabelSelector {
            match_labels: Some(labels(&[("a", "1"), ("b", "2")])),
            ..Default::default()
        };
        assert!(matches(
            &s,
            Some(&labels(&[("a", "1"), ("b", "2"), ("c", "3")]))
        ));
        assert!(!matches(&s, Some(&labels(&[("a", "1")]))));
        assert!(!matches(&s, Some(&labels(&[("a", "1"), ("b", "3")]))));
        assert!(!matches(&s, None));
    }

    #[test]
    fn empty_selector_matches_everything() {
        assert!(matches(&LabelSelector::default(), None));
    }

    #[test]
    fn expressions_follow_the_set_based_operators() {
        let l = labels(&[("tier", "gold"), ("team", "a")]);
        let sel = |e| LabelSelector {
            match_expressions: Some(vec![e]),
            ..Default::default()
        };
        assert!(matches(
            &sel(expr("tier", "In", &["gold", "silver"])),
            Some(&l)
        ));
        assert!(!matches(&sel(expr("tier", "In", &["bronze"])), Some(&l)));
        assert!(!matches(&sel(expr("missing", "In", &["x"])), Some(&l)));
        assert!(matches(&sel(expr("tier", "NotIn", &["bronze"])), Some(&l)));
        assert!(matches(&sel(expr("missing", "NotIn", &["x"])), Some(&l)));
        assert!(!matches(&sel(expr("tier", "NotIn", &["gold"])), Some(&l)));
        assert!(matches(&sel(expr("team", "Exists", &[])), Some(&l)));
        assert!(!matches(&sel(expr("nope", "Exists", &[])), Some(&l)));
        assert!(matches(&sel(expr("nope", "DoesNotExist", &[])), Some(&l)));
        assert!(!matches(&sel(expr("team", "DoesNotExist", &[])), Some(&l)));
        assert!(!matches(&sel(expr("team", "Bogus", &[])), Some(&l)));
        assert!(!matches(&sel(expr("team", "In", &[])), Some(&l)));
    }
}
