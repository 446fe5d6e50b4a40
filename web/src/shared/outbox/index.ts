/** The page's one outbox: loaded from IndexedDB, flushed on a timer and whenever the network comes back. */
import { openOutboxStore } from "./idb";
import { Outbox } from "./outbox";
import { apiSenders } from "./senders";

let instance: Promise<Outbox> | null = null;

export function outbox(): Promise<Outbox> {
  instance ??= (async () => {
    const box = new Outbox(await openOutboxStore(), apiSenders);
    await box.load();
    const tick = async () => {
      await box.flush();
      const next = box.nextDueAt();
      const wait = next === null ? 1000 : Math.min(1000, Math.max(100, next - Date.now()));
      setTimeout(tick, wait);
    };
    window.addEventListener("online", () => void box.kick());
    void tick();
    return box;
  })();
  return instance;
}
