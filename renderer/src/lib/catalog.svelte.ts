/** What the app loads once from the lab: presets, strategies (with knob choices), schemas, app info. */
import type { AppInfo, LabClient, PresetInfo, Schemas, StrategyCatalog } from './api.ts';
import { errorLine } from './client/methods.ts';

export class Catalog {
  presets = $state.raw<PresetInfo[]>([]);
  strategies = $state.raw<StrategyCatalog>({ strategies: [], knobs: {} });
  schemas = $state.raw<Schemas | null>(null);
  info = $state.raw<AppInfo | null>(null);
  error = $state<string | null>(null);
  readonly ready: Promise<void>;

  constructor(private readonly client: LabClient) {
    this.ready = this.load();
  }

  private async load(): Promise<void> {
    try {
      const [presets, strategies, schemas, info] = await Promise.all([this.client.presets(), this.client.strategies(), this.client.schemas(), this.client.appInfo()]);
      this.presets = presets;
      this.strategies = strategies;
      this.schemas = schemas;
      this.info = info;
    } catch (e) {
      this.error = `Could not load the lab's catalog: ${errorLine(e)}`;
    }
  }

  async reloadStrategies(): Promise<void> {
    this.strategies = await this.client.strategies();
  }
}
