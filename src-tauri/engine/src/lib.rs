//! WhatsApp-Use engine: accounts, the encrypted store, the sandbox and live
//! WhatsApp networks, tools, events, and the MCP server. No GUI dependency: the
//! desktop shell and the command line both sit on top of this crate.

pub mod accounts;
pub mod approvals;
pub mod audit;
pub mod clients;
pub mod config;
pub mod control;
pub mod engine;
pub mod error;
pub mod events;
pub mod ids;
pub mod import;
pub mod ingest;
pub mod keys;
pub mod mcp;
pub mod media;
pub mod model;
pub mod on_demand;
pub mod owner;
pub mod phone;
pub mod policy;
pub mod presence;
pub mod qr;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod time;
pub mod tools;
pub mod wa;

pub use engine::{Bootstrap, Engine, EngineError};
