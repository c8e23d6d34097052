import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";

/**
 * V8's sampling CPU profile of this process from `start` to `stop`: the bench
 * takes it over the stream window only, so startup and the comparisons after
 * are not in it. The file is a `.cpuprofile`, which Chrome DevTools and
 * speedscope open.
 */
export class StreamProfile {
  private readonly session = new Session();

  constructor(private readonly file: string) {}

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post("Profiler.enable");
    await this.session.post("Profiler.start");
  }

  async stop(): Promise<void> {
    const { profile } = await this.session.post("Profiler.stop");
    this.session.disconnect();
    await writeFile(this.file, JSON.stringify(profile));
  }
}
