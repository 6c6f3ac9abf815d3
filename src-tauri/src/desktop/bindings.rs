//! The typed bridge between the window and the engine: commands and events, and the
//! TypeScript bindings generated from them (committed at ui/src/lib/bindings.ts and
//! checked by a test, so a change on either side cannot go unnoticed).

use tauri_specta::{collect_commands, collect_events, Builder};

use super::{commands, events};

pub fn builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            commands::list_accounts,
            commands::pair_account,
            commands::reconnect_account,
            commands::logout_account,
            commands::delete_account,
            commands::recent_chats,
            commands::list_keys,
            commands::create_key,
            commands::revoke_key,
            commands::restrict_key,
            commands::get_tools,
            commands::set_tool,
            commands::apply_preset,
            commands::list_approvals,
            commands::decide_approval,
            commands::list_allowances,
            commands::revoke_allowance,
            commands::set_paused,
            commands::get_activity,
            commands::get_settings,
            commands::update_settings,
            commands::list_clients,
            commands::preview_client_install,
            commands::preview_client_remove,
            commands::confirm_client_change,
        ])
        .events(collect_events![
            events::AccountsChanged,
            events::ActivityAppended,
            events::ToolsChanged,
            events::ApprovalsChanged
        ])
}

#[cfg(test)]
mod tests {
    use specta_typescript::{BigIntExportBehavior, Typescript};

    const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/lib/bindings.ts");

    fn typescript() -> Typescript {
        Typescript::default().bigint(BigIntExportBehavior::Number).header(
            "// @ts-nocheck: generated from the Rust commands by tauri-specta. Do not edit: `WUSE_UPDATE_BINDINGS=1 cargo test bindings`.\n",
        )
    }

    #[test]
    fn bindings_are_current() {
        let fresh = super::builder().export_str(typescript()).expect("bindings export");
        if std::env::var_os("WUSE_UPDATE_BINDINGS").is_some() {
            std::fs::write(PATH, &fresh).expect("write bindings");
            return;
        }
        let committed = std::fs::read_to_string(PATH).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/lib/bindings.ts is out of date: run `WUSE_UPDATE_BINDINGS=1 cargo test bindings` and commit it"
        );
    }
}
