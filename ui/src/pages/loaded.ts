// What every page that shows data from the engine shares: it loads on mount, keeps
// the last error to show (cleared by the next good load), and asks to be redrawn.

export abstract class LoadedPage {
  error: unknown = null;
  protected update: () => void = () => {};

  async mount(update: () => void): Promise<void> {
    this.update = update;
    await this.load();
  }

  async load(): Promise<void> {
    try {
      await this.fetch();
      this.error = null;
    } catch (e) {
      this.error = e;
    }
    this.update();
  }

  /** Reads what the page shows into its fields. */
  protected abstract fetch(): Promise<void>;
}
