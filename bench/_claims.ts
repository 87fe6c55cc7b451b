import { packingInstances } from "./packing-bound.ts";
import { schedule } from "../lib/scheduling/scheduler.ts";
import { resolveLaunch } from "../lib/scheduling/launch.ts";
const which = process.argv.slice(2).map(Number);
const inst = packingInstances();
for (const k of which) {
  const { name, input } = inst[k]!;
  const i = input();
  const r = schedule(i);
  console.log(name);
  let total = 0;
  for (const c of r.newNodeClaims) {
    const l = resolveLaunch(c)!;
    const it = c.instanceTypes.find((t) => t.name === l.instanceType)!;
    const alloc = it.allocatable;
    total += l.price;
    console.log(`${c.pods.length} pods cpu ${(c.requests.cpu!/1000).toFixed(1)}/${(alloc.cpu!/1000).toFixed(1)} mem ${(c.requests.memory!/2**30).toFixed(1)}/${(alloc.memory!/2**30).toFixed(1)} -> ${l.instanceType} $${l.price.toFixed(4)} types ${c.instanceTypes.length}`);
  }
  console.log("total", total.toFixed(4));
}
