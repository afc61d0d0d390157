/**
 * bullmq and ioredis, loaded on first use: importing them took ~250 ms that every command paid at start (a
 * `train` too, through the CLI's sweep commands; issue 13), although only sweeps on Redis and `worker` use them.
 * Their CommonJS builds are the same libraries; every use in this folder goes through here, so the classes a
 * job is checked against (UnrecoverableError, DelayedError) are the ones the Worker sees.
 */
import { createRequire } from 'node:module';

type BullMq = typeof import('bullmq');
type IoRedis = typeof import('ioredis');

const load = createRequire(import.meta.url);
let bull: BullMq | undefined;
let redis: IoRedis | undefined;

export const bullmq = (): BullMq => (bull ??= load('bullmq') as BullMq);
export const ioredis = (): IoRedis => (redis ??= load('ioredis') as IoRedis);
