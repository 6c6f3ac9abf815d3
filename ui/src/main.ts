import "./styles.css";

import { App } from "./app";
import { AccountsPage } from "./pages/accounts";
import { ActivityPage } from "./pages/activity";
import { ClientsPage } from "./pages/clients";
import { KeysPage } from "./pages/keys";
import { PermissionsPage } from "./pages/permissions";
import { SettingsPage } from "./pages/settings";

const root = document.querySelector<HTMLElement>("#app");
if (root) {
  const app = new App(root, [
    new AccountsPage(),
    new KeysPage(),
    new PermissionsPage(),
    new ClientsPage(),
    new ActivityPage(),
    new SettingsPage(),
  ]);
  void app.start();
}
