//! Argument validation never panics, whatever arrives: for every tool, arbitrary JSON
//! and JSON shaped like the tool's own schema (right keys, wrong or odd values) either
//! validate or fail with `invalid_request` naming the bad fields.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Map, Value};
use wuse_engine::error::ErrorCode;
use wuse_engine::tools::Registry;

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        "\\PC{0,40}".prop_map(Value::String),
        // Values that look like what tools take.
        prop_oneof![
            Just("+14155550199"),
            Just("chat_0123456789abcdef"),
            Just("grp_0123456789abcdef"),
            Just("msg_0123456789abcdef"),
            Just("acc_0123456789abcdef"),
            Just("med_0123456789abcdef"),
            Just("ct_0123456789abcdef"),
            Just("evt_42"),
            Just("2026-11-25T10:00:00Z"),
            Just("👍"),
            Just("../../etc/passwd"),
            Just(""),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::hash_map("\\PC{0,12}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with some of the tool's own argument names, holding random values.
fn shaped(names: Vec<String>) -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(names), json_value()), 0..6)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<String, Value>>()))
}

fn check(registry: &Registry, tool: &str, args: &Value) -> Result<(), TestCaseError> {
    let spec = registry.get(tool).unwrap();
    if let Err(e) = spec.validate(args) {
        prop_assert_eq!(e.code, ErrorCode::InvalidRequest, "{}: {:?}", tool, e);
        prop_assert!(
            !e.fields.is_empty(),
            "{}: invalid_request must name fields: {:?}",
            tool,
            e
        );
        prop_assert_eq!(e.status, 400);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_for_every_tool(args in json_value()) {
        let registry = Registry::standard();
        for spec in registry.all() {
            check(&registry, spec.name, &args)?;
        }
    }

    #[test]
    fn schema_shaped_json_for_every_tool(seed in any::<u64>()) {
        let registry = Registry::standard();
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            ProptestConfig::default(),
            proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed.to_le_bytes().repeat(4)),
        );
        for spec in registry.all() {
            let names: Vec<String> = spec.input_schema.get("properties").and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect()).unwrap_or_default();
            if names.is_empty() {
                continue;
            }
            for _ in 0..8 {
                let args = shaped(names.clone()).new_tree(&mut runner).unwrap().current();
                check(&registry, spec.name, &args)?;
            }
        }
    }
}

#[test]
fn there_are_58_tools_with_unique_names() {
    let registry = Registry::standard();
    let mut names: Vec<&str> = registry.all().iter().map(|t| t.name).collect();
    assert_eq!(names.len(), 58);
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 58);
}
