import type { LoadBalancerModel } from '../model/types.ts';
import type { AgentClient, LiveStatus, ModelUpload } from './client.ts';
import { Fleet } from './fleet.ts';
import { formatList, formatShow, type OutputOptions, type Row } from './output.ts';
import { operatingStatuses } from './status.ts';

/** The agent as amphoractl uses it: read the models, save one back, read live statuses, print. */
export class Session {
  readonly client: AgentClient;
  readonly output: OutputOptions;
  readonly print: (text: string) => void;

  constructor(client: AgentClient, output: OutputOptions, print: (text: string) => void) {
    this.client = client;
    this.output = output;
    this.print = print;
  }

  async fleet(): Promise<Fleet> {
    const list = await this.client.listModels();
    return new Fleet(list.amphora_id, list.models);
  }

  async save(fleet: Fleet, model: ModelUpload): Promise<void> {
    await this.client.putModel(fleet.amphoraId, model);
  }

  async statuses(model: LoadBalancerModel): Promise<Map<string, string>> {
    const live: LiveStatus | undefined = await this.client.liveStatus(model.loadbalancer.id).catch(() => undefined);
    return operatingStatuses(model, live);
  }

  show(row: Row): void {
    this.print(formatShow(row, this.output));
  }

  list(columns: readonly string[], rows: Row[]): void {
    this.print(formatList(columns, rows, this.output));
  }

  /** Applies an edit to a fresh copy of the models, saves the LB it touched, returns the new fleet. */
  async edit(change: (fleet: Fleet) => ModelUpload): Promise<Fleet> {
    const fleet = await this.fleet();
    await this.save(fleet, change(fleet));
    return this.fleet();
  }
}
