import { byId, canonicalId } from "../src/records";

it("orders ids given as text by their number, whatever way they are written, and non-ids last", () => {
  const ids = ["10", "x", "9", "0011", "123456789012345678", "2"];
  expect([...ids].sort(byId((id) => id))).toEqual(["2", "9", "10", "0011", "123456789012345678", "x"]);
  expect(canonicalId("0042")).toBe("42");
  expect(canonicalId("not-an-id")).toBe("not-an-id");
});
