import { appError, frameworkError } from '../domain/refusal.ts';
import { jsonReply, type Reply } from '../domain/reply.ts';
import type { AgentContext } from '../context.ts';
import { lookupInterface } from './interface-lookup.ts';
import { applyVipRules, parseVipRules, VipFirewallError } from './nftables.ts';

/** The firewall's lock: one rules update at a time. */
const RULES_LOCK = 'nftables-vip';

/**
 * GET /1.0/interface/{ip} (§10) and PUT /1.0/interface/{ip}/rules (§11), inside the configured
 * `network_namespace`.
 */
export class InterfaceService {
  readonly #context: AgentContext;

  constructor(context: AgentContext) {
    this.#context = context;
  }

  #namespace(): string {
    return this.#context.config.current.amphora_agent.network_namespace;
  }

  /** The name of the interface holding `address`: 200, or the reference's 400 / 404. */
  async getInterface(address: string): Promise<Reply> {
    const lookup = await lookupInterface(this.#namespace(), address);
    if (lookup.found) return jsonReply(200, { message: 'OK', interface: lookup.ifname });
    if (lookup.reason === 'invalid-address') throw appError(400, 'Invalid IP address');
    throw appError(404, 'Error interface not found for IP address');
  }

  /**
   * Replaces the VIP firewall rules. The interface lookup answers first (its 400/404 as they
   * are, before the body is read), then the body must be a JSON array of valid rules
   * (`readJson` gives undefined for a body that is not JSON). A refused rule set leaves the
   * running rules and the file as they were.
   */
  async setRules(address: string, readJson: () => Promise<unknown>): Promise<Reply> {
    await this.getInterface(address);
    const rules = parseVipRules(await readJson());
    if (!rules) throw frameworkError(400, 'Invalid rules information');
    const target = { rulesFile: this.#context.paths.nftablesRules, namespace: this.#namespace() };
    return this.#context.locks.run(RULES_LOCK, async () => {
      try {
        await applyVipRules(target, rules);
      } catch (error) {
        this.#context.logger.error({ err: error }, 'VIP firewall rules not applied');
        if (error instanceof VipFirewallError) throw frameworkError(500, error.message);
        throw error;
      }
      return jsonReply(200, { message: 'OK' });
    });
  }
}
