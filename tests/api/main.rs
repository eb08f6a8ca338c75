//! One test binary for the whole API, talking to a real server over HTTP and
//! a real database: SQLite files by default, PostgreSQL when
//! `TEST_DATABASE_URL=postgres://…` is set (each test gets its own database).

mod helpers;

mod cli;
mod connection;
mod contract;
mod cost;
mod explorer;
mod export_http;
mod faults;
mod feed;
mod fidelity;
mod graphql;
mod hardening;
mod http_cache;
mod http_spec;
mod import_errors;
mod interchange;
mod jwt;
mod load_balancer;
mod migrations;
mod persisted;
mod postgres_tls;
mod read_api;
mod readme;
mod replica_cluster;
mod replicas;
mod schema;
mod scopes;
mod search;
mod services;
mod shared_state;
mod sigterm_drain;
mod stats;
mod stats_writes;
mod status_history;
mod subscriptions;
mod traces;
mod upload;
mod webhook_servers;
mod webhooks;
mod websocket;
mod write_actions;
mod write_api;
mod ws_client;
