import { parentPort, workerData } from 'node:worker_threads';
import type { RenderContext } from '../render/context.ts';
import { prepareModel } from './prepare.ts';

/** The thread behind prepareModelOffThread: one model, one answer, then it ends. */
const { body, ctx } = workerData as { body: Uint8Array; ctx: RenderContext };
parentPort!.postMessage(prepareModel(body, ctx));
