import { definitionsByName, publishTables } from "./changeTrackingApi";
import { ChangeTrackingProgress } from "./changeTrackingProgress";
import { writeChangeTracking } from "./changeTrackingWriter";
import { runCustomization } from "./http/customizationLock";
import { classifyTables } from "./changeTrackingPlan";
import type { DataverseClient } from "./http/client";

interface Member {
  tables: string[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Wave {
  members: Member[];
}

interface Coordinator {
  /** The wave still gathering members (it starts when the one before it has finished). */
  next?: Wave;
  /** The wave being worked on. */
  running: Promise<void>;
}

const coordinators = new Map<string, Coordinator>();

/**
 * Turns change tracking on for `tables`, together with every other ChangeTracking resource of the same environment
 * in this provider process: the resources that arrive together form one wave, and the wave reads each table's
 * full definition once (parallel $batch reads), writes back each table that is off (one writer per environment, in
 * batches sized by measured time: changeTrackingWriter.ts), and publishes once. A
 * resource arriving while a wave runs joins the next one. Each resource gets its own outcome: a table of one resource that does not exist fails
 * that resource, not the others.
 */
export function enableInWave(client: DataverseClient, tables: string[], log: (line: string) => void): Promise<void> {
  const all = coordinators;
  const key = client.environmentUrl;
  const coordinator = all.get(key) ?? { running: Promise.resolve() };
  all.set(key, coordinator);
  return new Promise<void>((resolve, reject) => {
    if (!coordinator.next) {
      const wave: Wave = { members: [] };
      coordinator.next = wave;
      coordinator.running = coordinator.running
        .then(() => new Promise((r) => setTimeout(r, client.settings.waveGatherMs)))
        .then(() => {
          if (coordinator.next === wave) coordinator.next = undefined;
          return runWave(client, wave, log);
        });
    }
    coordinator.next.members.push({ tables, resolve, reject });
  });
}

async function runWave(client: DataverseClient, wave: Wave, log: (line: string) => void): Promise<void> {
  const union = [...new Set(wave.members.flatMap((m) => m.tables))];
  try {
    const definitions = await definitionsByName(client, union);
    const rows = [...definitions.values()];
    const toEnable = new Set<string>();
    const ready: Member[] = [];
    for (const member of wave.members) {
      try {
        classifyTables(member.tables, rows).toEnable.forEach((t) => toEnable.add(t));
        ready.push(member);
      } catch (err) {
        member.reject(err);
      }
    }
    const tables = [...toEnable];
    if (tables.length) {
      if (wave.members.length > 1)
        log(
          `change tracking in ${client.environmentUrl}: ${wave.members.length} resources in one wave, ${tables.length} tables to enable`,
        );
      const progress = new ChangeTrackingProgress(
        log,
        client.environmentUrl,
        tables.length,
        client.settings.progressIntervalMs,
      );
      await runCustomization(client.environmentUrl, () => writeChangeTracking(client, tables, definitions, progress));
      await publishTables(client, tables, log);
    }
    ready.forEach((m) => m.resolve());
  } catch (err) {
    wave.members.forEach((m) => m.reject(err));
  }
}
