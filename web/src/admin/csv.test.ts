import { describe, expect, it } from "vitest";
import { csvField, parseCsv, toCsv } from "./csv";

describe("CSV", () => {
  it("reads quoted fields with commas, quotes and line breaks, CRLF or LF, and a BOM", () => {
    const text = '\ufefflogin,full_name\r\na1,"Серік, Айгүл"\nb2,"say ""hi""\nthere"\n\n';
    expect(parseCsv(text)).toEqual([
      ["login", "full_name"],
      ["a1", "Серік, Айгүл"],
      ["b2", 'say "hi"\nthere'],
    ]);
  });

  it("reads a last line without a line break", () => {
    expect(parseCsv("a,b\n1,2")).toEqual([["a", "b"], ["1", "2"]]);
  });

  it("writes back what it reads", () => {
    const rows = [["login", "password"], ["x,y", 'q"uote'], ["Әлия", ""]];
    expect(parseCsv(toCsv(rows))).toEqual(rows);
  });

  it("keeps formulas as text for spreadsheets", () => {
    expect(csvField("=1+2")).toBe("'=1+2");
    expect(csvField(null)).toBe("");
  });
});
