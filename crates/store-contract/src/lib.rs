//! Test-only: the behaviour every Gatehouse store must show, run by both adapters.
//!
//! Each adapter's `tests/contract.rs` calls [`contract_tests!`] with a factory that returns a
//! fresh, migrated store (or `None` to skip when PostgreSQL is not configured outside CI).
//! Must not import a concrete adapter.

// This crate is test code: panicking on an unexpected error is how a case fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod cases;
mod fixtures;

/// Whether a missing test dependency must fail the run (`CI=true`) instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The PostgreSQL URL for tests, from `GATEHOUSE_TEST_POSTGRES_URL`.
///
/// Panics under `CI=true` when it is not set; elsewhere prints that the test is skipped.
pub fn postgres_test_url() -> Option<String> {
    match std::env::var("GATEHOUSE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(!in_ci(), "GATEHOUSE_TEST_POSTGRES_URL is not set, and CI=true forbids skipping PostgreSQL tests");
            eprintln!("SKIPPED: GATEHOUSE_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// Generates one `#[tokio::test]` per contract case, each on a fresh store from `$factory`
/// (an `async fn() -> Option<Arc<dyn Store>>`).
#[macro_export]
macro_rules! contract_tests {
    ($factory:path) => {
        $crate::contract_tests!(@cases $factory;
            users_round_trip_and_emails_are_unique_case_insensitively,
            password_hashes_are_stored_apart_from_the_user,
            accounts_round_trip_with_settings_and_parent,
            the_database_refuses_a_second_owner_of_one_account,
            the_database_refuses_a_duplicate_role_assignment,
            the_database_refuses_an_assignment_for_a_missing_user,
            members_are_paged_with_their_roles_and_searchable,
            organization_users_include_managed_users_and_members_of_its_accounts,
            account_lists_are_scoped_paged_and_searchable,
            user_organizations_report_the_strongest_role,
            audit_events_are_listed_newest_first_per_scope,
            sessions_round_trip_and_end_per_user,
            recent_setup_tokens_are_valid_and_setup_consumes_them_all,
            a_dropped_transaction_leaves_nothing_behind,
            an_autocommit_read_sees_each_commit_as_its_statements_run,
            deleting_assignments_removes_only_that_users_roles_at_that_scope,
            the_outbox_hands_each_due_email_to_one_claimer_and_records_attempts,
            one_time_tokens_work_once_and_only_before_they_expire,
            second_factors_and_recovery_codes_round_trip,
            throttles_are_saved_replaced_and_cleared,
            sessions_are_listed_staged_and_ended_except_the_current_one,
            security_settings_and_credentials_are_updated_in_place,
            invitations_are_found_by_token_updated_and_one_is_pending_per_address,
            the_banner_is_one_and_operators_are_granted_and_taken_away,
            custom_roles_are_defined_per_organization_and_assigned,
            replacing_built_in_roles_keeps_custom_and_cross_kind_ones,
            an_account_has_at_most_one_owner_nomination,
            accounts_are_renamed_and_change_status,
            api_keys_are_listed_renamed_revoked_and_touched,
            instance_secrets_are_created_once,
            a_session_flash_is_read_once,
            notification_choices_are_stored_per_account_and_category,
            payment_methods_keep_one_default_and_invoices_list_newest_first,
            a_domain_is_verified_by_one_organization_only,
            organization_invitations_round_trip_and_users_become_managed,
            offboarding_finds_what_a_user_holds_and_erasure_forgets_them,
            account_requests_are_one_pending_per_account_and_access_lists_independent_accounts,
            scim_tokens_and_profiles_round_trip,
            groups_hold_members_of_their_organization,
            oauth_apps_and_role_assignments_by_sid,
            a_locked_account_holds_other_writers_until_commit,
            concurrent_claimers_never_get_the_same_email,
            audit_details_round_trip_as_json_and_erasure_rewrites_only_mentions,
            the_connection_enforces_foreign_keys,
            scim_user_filters_in_sql_select_what_the_evaluator_selects,
            scim_user_pages_are_sorted_counted_and_bounded_in_sql,
            scim_group_filters_in_sql_select_what_the_evaluator_selects,
            revocations_move_the_credential_epoch_when_they_commit,
            people_search_matches_the_start_of_an_address_or_a_name,
            a_page_before_is_read_back_from_a_cursor,
            access_changes_are_noted_with_a_revision_and_rows_read_per_subject
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                if let Some(store) = $factory().await {
                    $crate::cases::$case(store).await;
                }
            }
        )*
    };
}
