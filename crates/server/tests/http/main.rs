//! HTTP tests: each spawns the real server on 127.0.0.1:0 with its own database and drives it
//! over HTTP like a browser (cookies, CSRF tokens, redirects), on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access_check;
mod access_matrix;
mod account_console;
mod admin_center;
mod browser;
mod cli;
mod dns_server;
mod domains;
mod flow;
mod hardening;
mod invitations;
mod mail_sink;
mod matrix;
mod metrics;
mod nodes;
mod org_controls;
mod org_matrix;
mod org_roles;
mod scim;
mod security;
mod self_service;
mod sign_in_security;
mod sms_stub;
mod support;
mod twilio_api;
