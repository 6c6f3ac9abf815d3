//! Live WhatsApp accounts on the `whatsapp-rust` library. So far: the library's
//! protocol state kept in our encrypted store.

pub mod session_store;

pub use session_store::SessionStore;
