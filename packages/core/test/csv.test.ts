import { csvLine } from "../src/admin";

describe("csvLine (RFC 4180)", () => {
  it("writes plain fields as they are, null as empty, and ends with CRLF", () => {
    expect(csvLine(["a", 1, null, undefined, "中文"])).toBe("a,1,,,中文\r\n");
  });
  it("quotes fields with commas, quotes or line breaks, doubling quotes", () => {
    expect(csvLine(['say "hi"', "a,b", "x\ny"])).toBe('"say ""hi""","a,b","x\ny"\r\n');
  });
  it("defuses text a spreadsheet would run as a formula", () => {
    expect(csvLine(["=1+1", "+x", "-5", "@sum", "-1,2"])).toBe("'=1+1,'+x,'-5,'@sum,\"'-1,2\"\r\n");
    expect(csvLine([-5])).toBe("-5\r\n"); // numbers are data, not text
  });
});
