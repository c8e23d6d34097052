import { assignPartitions, partitionOf } from "../../src/partitioning";

describe("partitioning", () => {
  it("maps a merchant to the same partition every time", () => {
    expect(partitionOf("M348934600", 64)).toBe(partitionOf("M348934600", 64));
    const spread = new Set(Array.from({ length: 500 }, (_, i) => partitionOf(`M${1_000_000 + i}`, 64)));
    expect(spread.size).toBe(64);
  });

  it("shares partitions evenly between nodes", () => {
    const counts = new Map<string, number>();
    for (const node of assignPartitions(64, ["a", "b", "c"]).values()) counts.set(node, (counts.get(node) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([21, 21, 22]);
  });

  it("is the same whatever order the nodes are listed in", () => {
    expect(assignPartitions(64, ["c", "a", "b"])).toEqual(assignPartitions(64, ["a", "b", "c"]));
  });

  it("moves few partitions besides the leaving node's when a node leaves", () => {
    const before = assignPartitions(64, ["a", "b", "c", "d"]);
    const after = assignPartitions(64, ["a", "b", "c"]);
    const movedFromSurvivors = [...before].filter(([p, node]) => node !== "d" && after.get(p) !== node).length;
    expect(movedFromSurvivors).toBeLessThanOrEqual(8);
  });

  it("assigns nothing when there is no node", () => {
    expect(assignPartitions(8, []).size).toBe(0);
  });
});
