//! MCP: the server handler, its HTTP transports (streamable HTTP and legacy SSE)
//! behind the Host/Origin and API-key guards, and the stdio bridge.

mod approval;
pub mod bridge;
pub mod guard;
pub mod http;
mod media_route;
pub mod resources;
pub mod server;
pub mod session;
mod sse;
