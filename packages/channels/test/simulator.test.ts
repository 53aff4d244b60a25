import { SimulatorChannel, simulatorOrderNo, type ChannelOrder, type LastSeen } from "../src";

const order = (phone: string): ChannelOrder => ({ serialNumber: "202611250000000042", orderType: 1, mobileType: 1, phoneNumber: phone, faceValue: 1000, mobileOrderNo: null });
const sim = new SimulatorChannel(0);

describe("simulator channel (PROTOCOL §10)", () => {
  it("places every order with a stable 18-digit order number (placing twice is the same order)", async () => {
    const first = await sim.place(order("13912345678"));
    const second = await sim.place(order("13912345678"));
    expect(first).toEqual({ outcome: "placed", channelOrderNo: simulatorOrderNo("202611250000000042") });
    expect(second).toEqual(first);
    expect(simulatorOrderNo("1")).toMatch(/^[1-9]\d{17}$/);
    expect(simulatorOrderNo("1")).not.toBe(simulatorOrderNo("2"));
  });

  it.each<[string, LastSeen, string]>([
    ["13912345678", "unpaid", "paying"],
    ["13912345678", "paying", "succeeded"],
    ["13912340010", "unpaid", "failed"],
    ["13912340009", "unpaid", "timed_out"],
    ["13912340002", "unpaid", "paying"],
    ["13912340002", "paying", "paying"],
  ])("answers %s seen as %s with %s", async (phone, lastSeen, state) => {
    expect((await sim.query(order(phone), lastSeen)).state).toBe(state);
  });
});
