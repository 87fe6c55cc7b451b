import { createMemoryStore } from "../../lib/store/in-memory/memory-store.ts";
import { describeStoreContract } from "./store-contract.ts";

describeStoreContract("memory store", async () => createMemoryStore({ clusterName: "test" }));
