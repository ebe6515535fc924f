//! Tests of the filter and path parser and its limits.

use super::*;
use serde_json::{Value, json};

fn user() -> Value {
    json!({
        "id": "US0123",
        "userName": "Alex@Example.com",
        "externalId": "ext-9",
        "displayName": "Alex Doe",
        "active": true,
        "name": { "givenName": "Alex", "familyName": "Doe" },
        "emails": [
            { "value": "alex@example.com", "type": "work", "primary": true },
            { "value": "alex@home.test", "type": "home" }
        ],
        "meta": { "lastModified": "2026-11-23T10:00:00Z", "version": "W/\"3\"" },
        "groups": []
    })
}

fn case_exact(key: &str) -> bool {
    matches!(key, "id" | "externalid" | "meta.version")
}

fn check(filter: &str) -> bool {
    matches(&user(), &parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e}")), &case_exact)
}

#[test]
fn every_operator_on_strings_numbers_booleans_and_dates() {
    let cases: &[(&str, bool)] = &[
        (r#"userName eq "alex@example.com""#, true),
        (r#"USERNAME EQ "ALEX@EXAMPLE.COM""#, true),
        (r#"externalId eq "EXT-9""#, false),
        (r#"externalId eq "ext-9""#, true),
        (r#"userName ne "bob@example.com""#, true),
        (r#"displayName co "x D""#, true),
        (r#"displayName sw "alex""#, true),
        (r#"displayName ew "DOE""#, true),
        ("title pr", false),
        ("displayName pr", true),
        ("groups pr", false),
        ("emails pr", true),
        ("active eq true", true),
        ("active eq false", false),
        ("active ne false", true),
        (r#"meta.lastModified gt "2026-11-01T00:00:00Z""#, true),
        (r#"meta.lastModified lt "2026-11-01T00:00:00Z""#, false),
        (r#"meta.lastModified ge "2026-11-23T10:00:00Z""#, true),
        (r#"meta.lastModified le "2026-11-23T09:59:59Z""#, false),
        (r#"name.familyName eq "doe""#, true),
        (r#"emails eq "alex@home.test""#, true),
        (r#"emails.value sw "alex@h""#, true),
        (r#"emails.type eq "other""#, false),
        ("title eq null", true),
        ("displayName eq null", false),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alex@example.com""#, true),
    ];
    for (f, expected) in cases {
        assert_eq!(check(f), *expected, "{f}");
    }
}

#[test]
fn logic_grouping_not_and_value_paths() {
    let cases: &[(&str, bool)] = &[
        (r#"userName eq "x" or displayName sw "Alex""#, true),
        (r#"userName eq "x" and displayName sw "Alex""#, false),
        // and binds tighter than or
        (r#"userName eq "x" and active eq true or displayName pr"#, true),
        (r#"userName eq "x" and (active eq true or displayName pr)"#, false),
        (r#"not (userName eq "x")"#, true),
        (r#"not(active eq true)"#, false),
        (r#"emails[type eq "work" and value co "example.com"]"#, true),
        (r#"emails[type eq "home" and value co "example.com"]"#, false),
        (r#"emails[not (type eq "work")]"#, true),
        (r#"emails[type eq "work"] and not (emails[type eq "other"])"#, true),
        (r#"((userName pr))"#, true),
    ];
    for (f, expected) in cases {
        assert_eq!(check(f), *expected, "{f}");
    }
}

#[test]
fn malformed_filters_say_what_is_wrong() {
    for bad in [
        "",
        "userName",
        "userName eq",
        r#"userName eq "open"#,
        r#"userName xx "a""#,
        r#"userName eq "a" and"#,
        r#"(userName eq "a""#,
        r#"userName eq "a")"#,
        r#"emails[type eq "work""#,
        r#"not userName eq "a""#,
        r#"userName eq alex"#,
        r#"1abc eq "a""#,
        r#"userName eq "a" "b""#,
        "userName eq 1.2.3",
        "user#Name pr",
    ] {
        assert!(parse_filter(bad).is_err(), "{bad:?} parsed");
    }
    let e = parse_filter(r#"userName xx "a""#).unwrap_err();
    assert!(e.0.contains("xx is not an operator"), "{e}");
}

#[test]
fn patch_paths_as_identity_providers_send_them() {
    let p = parse_patch_path(r#"members[value eq "US0123"]"#).unwrap();
    assert_eq!(p.attr.name, "members");
    assert_eq!(p.filter, Some(parse_filter(r#"value eq "US0123""#).unwrap()));
    let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
    assert_eq!(p.sub.as_deref(), Some("value"));
    let p = parse_patch_path("name.givenName").unwrap();
    assert_eq!((p.attr.name.as_str(), p.attr.sub.as_deref(), p.filter), ("name", Some("givenName"), None));
    let p = parse_patch_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").unwrap();
    assert_eq!(p.attr.name, "department");
    for bad in ["", "members[", r#"members[value eq "x"]x"#, r#"members[value eq]"#, "a..b", "a]b[c"] {
        assert!(parse_patch_path(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn deep_or_long_input_is_refused_with_the_limit_named() {
    let n = 1500;
    let cases = [
        format!("{}userName pr{}", "(".repeat(n), ")".repeat(n)),
        format!("{}userName pr{}", "not (".repeat(n), ")".repeat(n)),
        format!("{}value pr{}", "emails[".repeat(n), "]".repeat(n)),
        format!("{}userName pr", "(".repeat(n)),
    ];
    for f in &cases {
        let e = parse_filter(f).unwrap_err();
        assert!(e.0.contains("limit of"), "{e}");
    }
    let e = parse_patch_path(&format!("emails[{}value pr{}]", "emails[".repeat(n), "]".repeat(n))).unwrap_err();
    assert!(e.0.contains("limit of"), "{e}");
    let long = vec![r#"userName eq "a""#; 300].join(" or ");
    assert!(parse_filter(&long).unwrap_err().0.contains("limit of"));
    let nested_ok = format!("{}userName pr{}", "(".repeat(MAX_FILTER_NESTING), ")".repeat(MAX_FILTER_NESTING));
    assert!(check(&nested_ok));
    let too_deep = format!("{}userName pr{}", "(".repeat(MAX_FILTER_NESTING + 1), ")".repeat(MAX_FILTER_NESTING + 1));
    assert!(parse_filter(&too_deep).unwrap_err().0.contains("32 levels"));
    let huge = format!("userName eq \"{}\"", "a".repeat(MAX_FILTER_CHARS));
    assert!(parse_filter(&huge).unwrap_err().0.contains("4096 characters"));
}

/// Pieces of the grammar, valid and not, so generated inputs reach deep into the parser.
const PIECES: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    " ",
    "not",
    "not(",
    "and",
    "or",
    "userName",
    "emails",
    "emails[",
    "name.givenName",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "eq",
    "ne",
    "co",
    "sw",
    "pr",
    "gt",
    "le",
    "\"x\"",
    "\"",
    "\\",
    "1",
    "-2.5e3",
    "true",
    "null",
    ".",
    ":",
    "]",
    "$ref",
    "\"\\u00e9\"",
    "é",
    "\t",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    #[test]
    fn any_filter_of_bounded_size_parses_or_is_refused_never_panics(
        picks in proptest::collection::vec(0..PIECES.len(), 0..3000),
        sep in proptest::sample::select(vec!["", " "]),
    ) {
        let input: String = picks.iter().map(|i| PIECES[*i]).collect::<Vec<_>>().join(sep);
        if let Ok(f) = parse_filter(&input) {
            let _ = matches(&user(), &f, &case_exact);
        }
        let _ = parse_patch_path(&input);
    }

    #[test]
    fn any_text_parses_or_is_refused_never_panics(input in "\\PC{0,5000}") {
        if let Ok(f) = parse_filter(&input) {
            let _ = matches(&user(), &f, &case_exact);
        }
        let _ = parse_patch_path(&input);
    }
}
