/** IndexedDB storage for the outbox: blobs survive reloads and a closed tab. */
import type { OutboxEntry, OutboxStore } from "./outbox";
import { MemoryStore } from "./outbox";

const DB = "proctor-outbox";
const STORE = "entries";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class IdbStore implements OutboxStore {
  constructor(private readonly db: IDBDatabase) {}

  private store(mode: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction(STORE, mode).objectStore(STORE);
  }
  all(): Promise<OutboxEntry[]> {
    return done(this.store("readonly").getAll() as IDBRequest<OutboxEntry[]>);
  }
  async put(entry: OutboxEntry): Promise<void> {
    await done(this.store("readwrite").put(entry));
  }
  async delete(id: string): Promise<void> {
    await done(this.store("readwrite").delete(id));
  }
}

/** IndexedDB when the browser allows it; memory otherwise (some private windows), so the page still works. */
export async function openOutboxStore(): Promise<OutboxStore> {
  try {
    return new IdbStore(await open());
  } catch {
    return new MemoryStore();
  }
}
