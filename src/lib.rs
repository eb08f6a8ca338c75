//! Twinning: a GraphQL API for municipal partnership data: which cities are
//! twinned, how each relation grew, and what the partners cooperate on.
//!
//! Dependencies point down: `cli` and `app` assemble the server; `http`
//! serves `graphql`; `graphql` and `interchange` read and write through
//! `store`; everything may use `domain`.

pub mod app; // the server: build, bind, run, shut down
pub mod cli; // the command line and what each command does
pub mod config; // what the server is told to do
pub mod domain; // partial dates, roles, record changes
pub mod error; // resolver errors and what clients see of them
pub mod graphql; // the GraphQL schema and the request pipeline
pub mod http; // routes: /graphql (HTTP and WebSocket), /health, /ready, /metrics
pub mod interchange; // the JSON import/export format
pub mod jwt; // sign-in with an identity provider's tokens (JWT, JWKS)
pub mod live; // live updates: change sets to subscribers, across servers
pub mod metrics; // Prometheus metrics and per-request statement counts
pub mod shared; // budgets and persisted queries shared by servers, in Redis
pub mod store; // the data layer: every SQL statement
pub mod telemetry; // logging, and traces over OTLP
pub mod webhooks; // signed change sets to partner endpoints, from the outbox
