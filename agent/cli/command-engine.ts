import { randomUUID } from 'node:crypto';
import type { LoadBalancerModel, Pool } from '../model/types.ts';
import type { OptionReader } from './args.ts';
import { applyFieldOptions, applySwitch, type FieldOption } from './field-options.ts';
import type { ModelUpload } from './client.ts';
import { CliError } from './errors.ts';
import type { Fleet } from './fleet.ts';
import type { Row } from './output.ts';
import type { Session } from './session.ts';

/**
 * The command engine: how a command line becomes an action, and the five commands (`create`,
 * `list`, `show`, `set`, `delete`) that every model resource gets from one description.
 */

/** What a command does once its arguments are read and checked (no I/O before that). */
export type Action = (session: Session) => Promise<void>;
export type Handler = (args: string[], options: OptionReader) => Action;

/**
 * The commands of one resource, registered in registry.ts. Adding a resource is one file that
 * exports a CommandSet and one line there; the usage text and the option lists follow.
 */
export interface CommandSet {
  /** The words that select it: `pool`, or two for a sub-resource (`loadbalancer status`). */
  name: string;
  commands: Record<string, Handler>;
  /** Its lines of the usage text. */
  usage: string;
  /** Options taking a value that its commands read (`--name N`). */
  valuedOptions?: readonly string[];
  /** Options without a value that its commands read (`--cascade`). */
  flags?: readonly string[];
}

export function positional(args: string[], names: string[]): string[] {
  if (args.length < names.length) throw new CliError(`the following arguments are required: ${names.slice(args.length).join(', ')}`);
  if (args.length > names.length) throw new CliError(`unrecognized arguments: ${args.slice(names.length).join(' ')}`);
  return args;
}

// --- new objects ----------------------------------------------------------------------------

/** A new object: a fresh id and the fields the user gave; the agent fills the defaults. */
export type Draft = Record<string, unknown> & { id: string };

/** `model` with `draft` appended to its load balancer's listeners or pools. */
export function withAppended(model: LoadBalancerModel, list: 'listeners' | 'pools', draft: Draft): ModelUpload {
  const loadbalancer = { ...model.loadbalancer, [list]: [...model.loadbalancer[list], draft] };
  return { ...model, loadbalancer };
}

/** `model` with `changes` applied to one of its pools. */
export function withPoolChanged(model: LoadBalancerModel, pool: Pool, changes: Record<string, unknown>): ModelUpload {
  const pools = model.loadbalancer.pools.map((candidate) => (candidate === pool ? { ...candidate, ...changes } : candidate));
  const loadbalancer = { ...model.loadbalancer, pools };
  return { ...model, loadbalancer };
}

// --- the five commands every resource has ------------------------------------------------

/** An `--enable<suffix>` / `--disable<suffix>` pair and the field it sets. */
export type Switch = readonly [suffix: string, field: string];
export const ADMIN_STATE: Switch = ['', 'admin_state_up'];
export const BACKUP: Switch = ['-backup', 'backup'];

/** The flags a resource's switches add to the command line. */
export function switchFlags(switches: readonly Switch[]): string[] {
  return switches.flatMap(([suffix]) => [`enable${suffix}`, `disable${suffix}`]);
}

/** Objects of one resource in one load balancer: a list takes one status query per group. */
export interface Group<F> {
  model: LoadBalancerModel;
  items: F[];
}

/** What `create`, `list`, `show`, `set` and `delete` need to know of one resource. */
export interface Resource<F extends { model: LoadBalancerModel }> {
  /** The positional arguments that name one object; a parent's come first (POOL MEMBER). */
  refs: string[];
  find(fleet: Fleet, refs: string[]): F;
  /** The object `set` changes. */
  target(found: F): object;
  row(found: F, statuses: Map<string, string>): Row;
  columns: readonly string[];
  switches: readonly Switch[];
  create: {
    /** Positional arguments; those naming a parent also find the new object afterwards. */
    args: string[];
    /** Fields read before the required options are checked. */
    init?(options: OptionReader): Record<string, unknown>;
    required: string[];
    fields: readonly FieldOption[];
    /** Reads any further options; returns how the new object joins its load balancer. */
    place(object: Draft, options: OptionReader, args: string[]): (fleet: Fleet) => ModelUpload;
  };
  list: {
    args: string[];
    /** Whether `--loadbalancer LB` narrows the list. */
    byLoadBalancer: boolean;
    groups(fleet: Fleet, args: string[], loadBalancerRef: string | undefined): Group<F>[];
  };
  set: {
    fields: readonly FieldOption[];
    /** Reads further options; what it returns completes the changes once the object is found. */
    extra?(options: OptionReader): (changes: Record<string, unknown>, fleet: Fleet, found: F) => void;
  };
  /** Takes the object out of its load balancer (absent where `delete` is a command of its own). */
  remove?(found: F): void;
}

/** `create`, `list`, `show`, `set` and, where the resource has `remove`, `delete`. */
export function commandsFor<F extends { model: LoadBalancerModel }>(resource: Resource<F>): Record<string, Handler> {
  const commands: Record<string, Handler> = {
    create: (args, options) => {
      const { create } = resource;
      const parents = positional(args, create.args);
      const object: Draft = { id: randomUUID(), ...create.init?.(options) };
      for (const name of create.required) options.required(name);
      applyFieldOptions(object, options, create.fields);
      for (const [suffix, field] of resource.switches) applySwitch(object, options, suffix, field);
      const place = create.place(object, options, parents);
      const refs = [...parents.slice(0, resource.refs.length - 1), object.id];
      return async (session) => {
        const found = resource.find(await session.edit(place), refs);
        session.show(resource.row(found, await session.statuses(found.model)));
      };
    },
    list: (args, options) => {
      const { list } = resource;
      const listArgs = positional(args, list.args);
      const lbRef = list.byLoadBalancer ? options.string('loadbalancer') : undefined;
      return async (session) => {
        const rows: Row[] = [];
        for (const { model, items } of list.groups(await session.fleet(), listArgs, lbRef)) {
          const statuses = await session.statuses(model);
          for (const item of items) rows.push(resource.row(item, statuses));
        }
        session.list(resource.columns, rows);
      };
    },
    show: (args) => {
      const refs = positional(args, resource.refs);
      return async (session) => {
        const found = resource.find(await session.fleet(), refs);
        session.show(resource.row(found, await session.statuses(found.model)));
      };
    },
    set: (args, options) => {
      const refs = positional(args, resource.refs);
      const changes: Record<string, unknown> = {};
      applyFieldOptions(changes, options, resource.set.fields);
      for (const [suffix, field] of resource.switches) applySwitch(changes, options, suffix, field);
      const complete = resource.set.extra?.(options);
      return async (session) => {
        await session.edit((fleet) => {
          const found = resource.find(fleet, refs);
          complete?.(changes, fleet, found);
          Object.assign(resource.target(found), changes);
          return found.model;
        });
      };
    },
  };
  const remove = resource.remove;
  if (remove) {
    commands.delete = (args) => {
      const refs = positional(args, resource.refs);
      return async (session) => {
        await session.edit((fleet) => {
          const found = resource.find(fleet, refs);
          remove(found);
          return found.model;
        });
      };
    };
  }
  return commands;
}

/** The models `--loadbalancer LB` names, or all of them. */
export function modelsOf(fleet: Fleet, lbRef: string | undefined): LoadBalancerModel[] {
  return lbRef === undefined ? fleet.models : [fleet.loadBalancer(lbRef)];
}
