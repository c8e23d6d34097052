import type { Service, ServiceSchema } from "moleculer";
import { WorkLoop, type LoopPolicy } from "../../src/work-loop";

/** Builds a service's loop policy when the service starts; `stopping` aborts when the service begins to stop. */
export type LoopPolicyFactory<P extends LoopPolicy> = (service: Service, stopping: AbortSignal) => Promise<P>;

/**
 * Runs a loop policy for as long as its service runs. The service lists
 * `schema` in its mixins; its actions and events reach the running policy and
 * loop through this object. On stop: abort, finish the step under way, then
 * close the policy (releasing its locks).
 */
export class WorkLoopMixin<P extends LoopPolicy> {
  private running: { policy: P; loop: WorkLoop; stopping: AbortController } | undefined;

  readonly schema: Partial<ServiceSchema>;

  constructor(name: string, create: LoopPolicyFactory<P>) {
    // Moleculer calls the lifecycle handlers with the service as `this`; these arrows reach the mixin.
    const begin = (running: WorkLoopMixin<P>["running"]): void => {
      this.running = running;
    };
    const end = (): WorkLoopMixin<P>["running"] => {
      const running = this.running;
      this.running = undefined;
      return running;
    };
    this.schema = {
      async started() {
        const stopping = new AbortController();
        const policy = await create(this, stopping.signal);
        const loop = new WorkLoop(name, () => policy.step(), this.logger);
        begin({ policy, loop, stopping });
        loop.start();
      },
      async stopped() {
        const running = end();
        if (!running) return;
        running.stopping.abort();
        await running.loop.stop();
        await running.policy.close?.();
      },
    };
  }

  /** The running policy; undefined before the service started and after it stopped. */
  get policy(): P | undefined {
    return this.running?.policy;
  }

  /** The loop's failing streak, if its last step failed. */
  get failure(): string | null {
    return this.running?.loop.failure ?? null;
  }

  /** Runs fn between two of the loop's steps (at once when the loop is not running). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.running ? this.running.loop.exclusive(fn) : fn();
  }

  /** Cuts the loop's wait short: there is work. */
  wake(): void {
    this.running?.loop.wake();
  }
}
