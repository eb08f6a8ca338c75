//! Twinning: a GraphQL API for municipal partnership data: which cities are
//! twinned, how each relation grew, and what the partners cooperate on.

pub mod app; // the server: build, bind, run, shut down
pub mod auth; // API keys, roles, and the guard on writes
pub mod cli; // the command line and its options
pub mod commands; // what each command does
pub mod db; // connecting to SQLite or PostgreSQL, migrating
pub mod error; // resolver errors and what clients see of them
pub mod example_data; // the founding example built into the binary
pub mod graphiql; // the offline GraphiQL playground
pub mod graphql; // the GraphQL schema
pub mod history; // the change history of every write
pub mod http; // routes: /graphql, /health
pub mod interchange; // the JSON import/export format
pub mod live; // live updates: change sets to subscribers, across servers
pub mod metrics; // Prometheus metrics and per-request statement counts
pub mod partial_date; // dates known to the year, month or day
pub mod rate_limit; // cost budgets per key and client address
pub mod store; // SQL for the API: pages, filters, search
pub mod telemetry; // logging
pub mod ws; // subscriptions over WebSocket
